/**
 * Starts the agent with the planned descriptors and supervises it: signals are forwarded, its exit
 * status is the loader's. The child is a scoped resource: closing the scope early stops it
 * (SIGTERM, then SIGKILL after a grace period) and waits for it.
 */
import * as ChildProcess from "node:child_process"
import * as Os from "node:os"
import type { Writable } from "node:stream"
import { Deferred, Duration, Effect, Exit, Queue, type Scope } from "effect"
import { AgentStartError } from "../../services/loader/errors.js"
import type { Plan } from "../../services/loader/HandoverPlan.js"

export interface AgentExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

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
  Effect.gen(function*() {
    const exited = yield* Deferred.make<AgentExit>()
    let signalled = false
    const child = yield* Effect.acquireRelease(
      Effect.suspend(() => {
        let child: ChildProcess.ChildProcess
        try {
          child = ChildProcess.spawn(plan.file, [...plan.args], {
            argv0: options.argv0,
            env: plan.env,
            // Own process group: terminal signals reach the loader only, which forwards them once.
            detached: true,
            stdio: [
              "inherit",
              "inherit",
              "inherit",
              ...plan.slots.map((s) => s.item.fd),
              ...(plan.prefixFd !== undefined ? ["pipe" as const] : [])
            ]
          })
        } catch (e) {
          return Effect.fail(new AgentStartError({ reason: "Spawn", command: plan.file, message: describe(e) }))
        }
        if (child.pid === undefined) {
          // libuv reports the failure on the next tick; wait for it to get the reason.
          return Effect.async<never, AgentStartError>((resume) => {
            child.once("error", (e) =>
              resume(Effect.fail(new AgentStartError({ reason: "Spawn", command: plan.file, message: describe(e) }))))
          })
        }
        const sink = plan.prefixFd === undefined ? undefined : (child.stdio[plan.prefixFd] as Writable | null) ?? undefined
        sink?.on("error", () => {}) // an agent that exits without reading its prefixes
        options.afterSpawn(sink)
        child.on("error", () => {}) // kill() on an exited child; the exit event is what counts
        child.once("exit", (code, signal) => Deferred.unsafeDone(exited, Exit.succeed({ code, signal })))
        return Effect.succeed(child)
      }),
      (child) =>
        Effect.gen(function*() {
          if (yield* Deferred.isDone(exited)) return
          if (!signalled) child.kill("SIGTERM")
          const done = yield* Deferred.await(exited).pipe(
            Effect.interruptible,
            Effect.timeoutOption(options.stopGrace ?? "10 seconds")
          )
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
