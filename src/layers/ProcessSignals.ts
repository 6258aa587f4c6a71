/** Process signals as a bounded queue, listening only while the scope is open (shared by the agent and the loader). */
import { Effect, Queue, type Scope } from "effect"

export const FORWARDED_SIGNALS: ReadonlyArray<NodeJS.Signals> = ["SIGTERM", "SIGINT", "SIGHUP"]

export const processSignals = (
  names: ReadonlyArray<NodeJS.Signals> = FORWARDED_SIGNALS
): Effect.Effect<Queue.Dequeue<string>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Effect.acquireRelease(Queue.sliding<string>(16), Queue.shutdown)
    const handler = (signal: NodeJS.Signals) => void Queue.unsafeOffer(queue, signal)
    yield* Effect.acquireRelease(
      Effect.sync(() => names.forEach((n) => process.on(n, handler))),
      () => Effect.sync(() => names.forEach((n) => process.off(n, handler)))
    )
    return queue
  })
