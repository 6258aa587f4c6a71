import { Effect } from "effect"

/**
 * Lets timers and I/O callbacks run before continuing. `Effect.yieldNow` only yields to other fibers (through
 * microtasks), which would still hold the event loop; long work on one batch pauses on this between slices
 * so other streams' reads, writes and acks go on.
 */
export const yieldToEventLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})
