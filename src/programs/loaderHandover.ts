/**
 * The loader after its idle phase (loaderIdle.ts): Effect and the supervisor are loaded only now, while the
 * agent the idle phase started with its sockets starts up (or, when the sockets could not be bound, to start it
 * directly). Forwards signals to the agent and exits with its status. Like main.ts, a place that runs an Effect.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Queue } from "effect"
import type { LaunchedAgent } from "../layers/loader/idle/IdleLaunch.js"
import { type AgentCommand, superviseDirect, superviseLaunched, withLoaderLevel } from "../layers/loader/Loader.js"
import { withLoaderLogger } from "../layers/loader/LogFormat.js"
import type { IdlePlan } from "../services/loader/IdlePlan.js"
import type { ActivationReason } from "../services/loader/Policy.js"

/** Signals the loader received: `listen` takes over their delivery (and gets those not yet delivered). */
export interface SignalSource {
  readonly listen: (deliver: (name: string) => void) => () => void
}

export type AfterIdle =
  | { readonly _tag: "Launched"; readonly launched: LaunchedAgent; readonly reason: ActivationReason }
  | { readonly _tag: "Direct"; readonly why: string }

const signalQueue = (source: SignalSource) =>
  Effect.acquireRelease(Queue.sliding<string>(16), Queue.shutdown).pipe(
    Effect.tap((queue) =>
      Effect.acquireRelease(
        Effect.sync(() => source.listen((name) => void Queue.unsafeOffer(queue, name))),
        (stop) => Effect.sync(stop)
      )
    )
  )

export const runAfterIdle = (plan: IdlePlan, signals: SignalSource, next: AfterIdle): void =>
  Effect.gen(function*() {
    const queue = yield* signalQueue(signals)
    const agent: AgentCommand = { command: plan.command, argv0: plan.argv0, env: process.env }
    return next._tag === "Direct"
      ? yield* superviseDirect(agent, queue, next.why)
      : yield* superviseLaunched(agent, queue, next.launched, next.reason)
  }).pipe(
    Effect.scoped,
    withLoaderLevel(plan.config.logLevel),
    withLoaderLogger,
    // The loader stands in for the agent's process, so its status is the agent's. Every scope is closed here.
    Effect.flatMap((outcome) => Effect.sync(() => process.exit(outcome.code))),
    // Signals are forwarded to the agent: the runtime's own SIGINT/SIGTERM interruption must not cut it short.
    Effect.uninterruptible,
    NodeRuntime.runMain({ disableErrorReporting: false })
  )
