/**
 * Where the reference intake puts reconstructed logs. A batch is acknowledged only after `write` succeeds, so
 * every acknowledged log has been handed to the output; a failed `write` leaves no part of its batch behind
 * (the stream fails unacknowledged and the sender resends it), and the output stays usable for later writes.
 */
import { Context, Data, type Effect } from "effect"
import type { IntakeBatch } from "./IntakeRecord.js"

export class IntakeOutputError extends Data.TaggedError("IntakeOutputError")<{
  readonly target: string
  readonly message: string
  readonly cause?: unknown
}> {}

export class IntakeOutput extends Context.Tag("dd-agent-effect/logs/IntakeOutput")<IntakeOutput, {
  readonly write: (batch: IntakeBatch) => Effect.Effect<void, IntakeOutputError>
}>() {}
