/**
 * The loader after its idle phase (loaderIdle.ts): Effect, the supervisor and the handover are loaded only
 * now. Starts the agent with the sockets the idle phase held (or directly, when they could not be bound),
 * forwards signals to it, and exits with its status. Like main.ts, a place that runs an Effect.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Queue } from "effect"
import type { ActivationResult } from "../layers/loader/Activation.js"
import type { Holder } from "../layers/loader/idle/IdleListeners.js"
import { type AgentCommand, superviseDirect, superviseHandover, withLoaderLevel } from "../layers/loader/Loader.js"
import { withLoaderLogger } from "../layers/loader/LogFormat.js"
import type { IdlePlan } from "../services/loader/IdlePlan.js"

/** Signals the loader received: `listen` takes over their delivery (and gets those not yet delivered). */
export interface SignalSource {
  readonly listen: (deliver: (name: string) => void) => () => void
}

export type AfterIdle =
  | {
    readonly _tag: "Handover"
    readonly holder: Holder
    readonly activation: Extract<ActivationResult, { _tag: "Activate" }>
  }
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
    if (next._tag === "Direct") return yield* superviseDirect(agent, queue, next.why)
    const { holder } = next
    // The held sockets are the idle phase's: closed here on every path (after the handover, nothing is left).
    yield* Effect.addFinalizer(() => Effect.promise(holder.close))
    return yield* superviseHandover(agent, queue, {
      listeners: holder.listeners,
      held: holder.held(),
      activation: next.activation,
      listenFds: plan.config.listenFds,
      prefixPipe: plan.config.classifier === "read",
      relinquish: holder.relinquish
    })
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
