/**
 * Where the reference intake puts reconstructed logs. A batch is acknowledged only after `write` returns,
 * so every acknowledged log has been handed to the output.
 */
import { Context, Data, type Effect } from "effect"
import type { IntakeRecord } from "./IntakeRecord.js"

export class IntakeOutputError extends Data.TaggedError("IntakeOutputError")<{
  readonly target: string
  readonly message: string
  readonly cause?: unknown
}> {}

export class IntakeOutput extends Context.Tag("dd-agent-effect/logs/IntakeOutput")<IntakeOutput, {
  readonly write: (records: ReadonlyArray<IntakeRecord>) => Effect.Effect<void, IntakeOutputError>
}>() {}
