/**
 * Starts the agent with the planned descriptors and supervises it: signals are forwarded, its exit
 * status is the loader's. The child is a scoped resource: closing the scope early stops it
 * (SIGTERM, then SIGKILL after a grace period) and waits for it.
 */
import * as Os from "node:os"
import type { Writable } from "node:stream"
import { Deferred, Duration, Effect, Exit, Queue, type Scope } from "effect"
import { AgentStartError } from "../../services/loader/errors.js"
import type { Plan } from "../../services/loader/HandoverPlan.js"
import { type AgentExit, launchAgent, type LaunchedAgent } from "./idle/IdleLaunch.js"

export type { AgentExit } from "./idle/IdleLaunch.js"

export interface AgentProcess {
  readonly pid: number
  readonly exit: Effect.Effect<AgentExit>
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<void>
}

export interface SpawnOptions {
  /** The command as given (argv[0] of the agent, like exec). */
  readonly argv0: string
  /**
   * Runs synchronously right after a successful spawn, before any other event is processed; gets
   * the write end of the prefix pipe when the plan has one.
   */
  readonly afterSpawn: (prefixSink: Writable | undefined) => void
  readonly stopGrace?: Duration.DurationInput
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e))

export const spawnAgent = (
  plan: Plan<{ readonly fd: number }, { readonly fd: number }>,
  options: SpawnOptions
): Effect.Effect<AgentProcess, AgentStartError, Scope.Scope> =>
  Effect.tryPromise({
    try: () => launchAgent(plan, options.argv0, options.afterSpawn),
    catch: (e) => new AgentStartError({ reason: "Spawn", command: plan.file, message: describe(e) })
  }).pipe(Effect.flatMap((launched) => adoptAgent(launched, options.stopGrace)), Effect.uninterruptible)

/**
 * An agent already started (launchAgent), owned from now on by the caller's scope: closing it stops the agent
 * (SIGTERM, then SIGKILL after `stopGrace`) unless it exited, and waits for it.
 */
export const adoptAgent = (
  launched: LaunchedAgent,
  stopGrace: Duration.DurationInput = "10 seconds"
): Effect.Effect<AgentProcess, never, Scope.Scope> =>
  Effect.gen(function*() {
    const exited = yield* Deferred.make<AgentExit>()
    void launched.exited.then((e) => Deferred.unsafeDone(exited, Exit.succeed(e)))
    let signalled = false
    const { child } = launched
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        if (yield* Deferred.isDone(exited)) return
        if (!signalled) child.kill("SIGTERM")
        const done = yield* Deferred.await(exited).pipe(Effect.interruptible, Effect.timeoutOption(stopGrace))
        if (done._tag === "None") {
          child.kill("SIGKILL")
          yield* Deferred.await(exited).pipe(Effect.interruptible, Effect.timeoutOption("5 seconds"))
        }
      })
    )
    return {
      pid: child.pid!,
      exit: Deferred.await(exited),
      kill: (signal) =>
        Effect.sync(() => {
          signalled = true
          child.kill(signal)
        })
    } satisfies AgentProcess
  })

/** Waits for the agent to exit, forwarding every signal from `signals` to it meanwhile. */
export const superviseAgent = (agent: AgentProcess, signals: Queue.Dequeue<string>): Effect.Effect<AgentExit> =>
  Effect.gen(function*() {
    yield* Queue.take(signals).pipe(
      Effect.flatMap((s) =>
        Effect.logInfo(`Forwarding ${s} to the trace-agent (pid ${agent.pid})`).pipe(
          Effect.zipRight(agent.kill(s as NodeJS.Signals))
        )
      ),
      Effect.forever,
      Effect.interruptible,
      Effect.forkScoped
    )
    return yield* agent.exit
  }).pipe(Effect.scoped)

/** Shell convention for the loader's own status: the agent's code, or 128 + signal number. */
export const exitCodeOf = (e: AgentExit): number => {
  if (e.code !== null) return e.code
  const n = e.signal === null ? undefined : (Os.constants.signals as Record<string, number | undefined>)[e.signal]
  return n === undefined ? 1 : 128 + n
}
