/**
 * Snapshot id sources: random UUID v4 in production, a counter for tests and reproducible output.
 */
import { randomUUID } from "node:crypto"
import { Effect, Layer, Ref } from "effect"
import { SnapshotIds, sequentialId } from "../../services/debugger/SnapshotIds.js"

export const SnapshotIdsRandom = Layer.succeed(SnapshotIds, SnapshotIds.of({ next: Effect.sync(() => randomUUID()) }))

/** Ids 00000000-0000-4000-8000-000000000001, …002, … (still valid v4 UUIDs). */
export const SnapshotIdsSequential = Layer.effect(
  SnapshotIds,
  Effect.map(Ref.make(0), (counter) =>
    SnapshotIds.of({ next: Ref.updateAndGet(counter, (n) => n + 1).pipe(Effect.map(sequentialId)) }))
)
