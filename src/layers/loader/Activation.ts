/**
 * The wait for real traffic as an Effect, for loaders embedded in an Effect program: the idle phase's
 * driver (idle/IdleWait.ts) over held sockets, fed the loader's signals. Interrupting it stops every
 * watch, hold timer and the classifier; the sockets belong to the caller (Listeners.ts).
 */
import { Effect, LogLevel, Metric, Queue } from "effect"
import * as Metrics from "../../services/loader/Metrics.js"
import type { PolicyConfig } from "../../services/loader/Policy.js"
import { callbackLog } from "./CallbackLog.js"
import type { IdleClassifier } from "./idle/IdleClassifier.js"
import type { Holder } from "./idle/IdleListeners.js"
import { type ActivationResult, waitIdle } from "./idle/IdleWait.js"

export interface ActivationOptions {
  readonly holder: Pick<Holder, "subscribe" | "drop" | "held">
  /** Owned by the wait from here on: closed when it ends, however it ends. */
  readonly classifier: IdleClassifier
  /** SIGTERM and SIGINT end the wait; SIGHUP is ignored. */
  readonly signals: Queue.Dequeue<string>
  readonly policy: PolicyConfig
  readonly holdTimeoutMs: number
}

export const waitForActivation = (options: ActivationOptions): Effect.Effect<ActivationResult> =>
  Effect.gen(function*() {
    const log = yield* callbackLog
    const wait = yield* Effect.acquireRelease(
      Effect.sync(() =>
        waitIdle({
          holder: options.holder,
          classifier: options.classifier,
          policy: options.policy,
          holdTimeoutMs: options.holdTimeoutMs,
          debug: log(LogLevel.Debug)
        })
      ),
      (wait) => Effect.sync(wait.stop)
    )
    yield* Effect.flatMap(Queue.take(options.signals), (name) => Effect.sync(() => wait.signal(name))).pipe(
      Effect.forever,
      Effect.forkScoped
    )
    const result = yield* Effect.async<ActivationResult>((resume) => {
      void wait.result.then((r) => resume(Effect.succeed(r)))
      return Effect.sync(wait.stop)
    })
    if (result._tag === "Activate") {
      yield* Metric.increment(Metric.tagged(Metrics.activations, "reason", result.reason))
      yield* Metric.incrementBy(Metrics.probesAbsorbed, result.absorbed)
    }
    return result
  }).pipe(Effect.scoped)
