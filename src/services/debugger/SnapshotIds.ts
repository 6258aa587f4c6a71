/**
 * Port for snapshot ids (UUID v4), so tests and golden files get deterministic ids.
 */
import { Context } from "effect"
import type { Effect } from "effect"

export class SnapshotIds extends Context.Tag("dd-agent-effect/debugger/SnapshotIds")<SnapshotIds, {
  readonly next: Effect.Effect<string>
}>() {}

/** The n-th id of the deterministic sequence: a valid v4 UUID whose last group counts from 1. */
export const sequentialId = (n: number): string =>
  `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

export const uuidV4Pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
