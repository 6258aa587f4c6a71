/**
 * The loader, start to finish: resolve the agent command, read the configuration, bind and hold
 * the receiver sockets, wait for real traffic, then start the agent with every held socket and
 * supervise it. Every failure before the wait starts the agent directly, as Datadog's loader does;
 * log lines keep Datadog's texts and levels, and the environment is never logged.
 */
import { type Duration, Effect, Either, Logger, LogLevel, type Queue, Scope } from "effect"
import { agentEnabled, type LoaderConfig, type LogLevelName } from "../../services/loader/Config.js"
import type { AgentStartError, ConfigFileError, LoaderConfigError } from "../../services/loader/errors.js"
import { makePlan } from "../../services/loader/HandoverPlan.js"
import { type IdlePlan, idleConfigOf } from "../../services/loader/IdlePlan.js"
import type { ActivationReason } from "../../services/loader/Policy.js"
import { waitForActivation } from "./Activation.js"
import { classifierFor } from "./idle/IdleClassifier.js"
import { handOverSockets, handoverOrder, type LaunchedAgent, slotLines } from "./idle/IdleLaunch.js"
import type { HeldConnection } from "./idle/IdleListeners.js"
import { activationLine } from "./idle/IdleWait.js"
import { openListeners } from "./Listeners.js"
import { resolveCommand } from "./ResolveCommand.js"
import { adoptAgent, type AgentExit, type AgentProcess, exitCodeOf, spawnAgent, superviseAgent } from "./Supervisor.js"

export interface LoaderOptions {
  /** The agent program and its arguments. */
  readonly command: readonly [string, ...Array<string>]
  readonly config: Effect.Effect<LoaderConfig, ConfigFileError | LoaderConfigError>
  /** The environment the agent inherits (loader-owned variables are replaced). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Forces probe handling on (the CLI flag); otherwise the configuration decides. */
  readonly handleTcpProbe?: boolean
  /** Signals received by the loader: they end the wait, or are forwarded to the agent. */
  readonly signals: Queue.Dequeue<string>
  /** How long a stopping agent gets between SIGTERM and SIGKILL when the loader is interrupted. */
  readonly stopGrace?: Duration.DurationInput
  /** Observes the bound listeners once the wait starts (tests, status). */
  readonly onListening?: (listeners: ReadonlyArray<{ kind: string; address: string }>) => Effect.Effect<void>
  /** Observes the agent once started (tests, status). */
  readonly onAgentStarted?: (pid: number) => Effect.Effect<void>
  /**
   * Waits elsewhere: the CLI re-executes the process into its lean idle image (src/programs/loaderIdle.ts,
   * built as dist/dd-agent-loader-idle.cjs) with the plan. Returns only when it could not; the wait then runs here.
   */
  readonly idle?: (plan: IdlePlan) => Effect.Effect<void>
}

/** The agent to start: the resolved command, and how the loader starts and watches it. */
export type AgentCommand =
  & Pick<LoaderOptions, "env" | "stopGrace" | "onAgentStarted">
  & { readonly command: readonly [string, ...Array<string>]; readonly argv0: string }

export type LoaderOutcome =
  | { readonly _tag: "Stopped"; readonly code: number; readonly why: string }
  | {
    readonly _tag: "AgentExited"
    readonly code: number
    readonly exit: AgentExit
    readonly reason: ActivationReason | "direct"
  }

type WaitPhase =
  | { readonly _tag: "Direct" }
  | { readonly _tag: "NoInputs" }
  | { readonly _tag: "Exit"; readonly code: number; readonly detail: string }
  | {
    readonly _tag: "Started"
    readonly agent: Either.Either<AgentProcess, AgentStartError>
    readonly reason: ActivationReason
  }

const levels: Record<LogLevelName, LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
  critical: LogLevel.Fatal,
  off: LogLevel.None
}

type HeldClient = Pick<HeldConnection, "id" | "listener" | "socket" | "fd">

/** Starts the agent with the given sockets (none for a direct start), in the caller's scope. */
const startAgent = (
  agent: AgentCommand,
  listeners: ReadonlyArray<{ kind: "tcp" | "unix" | "otlp"; fd: number }>,
  clients: ReadonlyArray<HeldClient>,
  activation: { reason: ActivationReason | "direct"; absorbed: number; waitedMs: number },
  listenFds: boolean,
  prefixPipe: boolean,
  afterSpawn: () => void
) =>
  Effect.gen(function*() {
    const { command } = agent
    const plan = makePlan({ listeners, clients, baseEnv: agent.env, command, listenFds, prefixPipe, activation })
    for (const line of slotLines(plan)) yield* Effect.logDebug(line)
    yield* Effect.logInfo("Starting the trace-agent...")
    const started = yield* spawnAgent(plan, {
      argv0: agent.argv0,
      afterSpawn: handOverSockets(plan, clients, afterSpawn),
      ...(agent.stopGrace !== undefined ? { stopGrace: agent.stopGrace } : {})
    })
    if (agent.onAgentStarted) yield* agent.onAgentStarted(started.pid)
    return started
  })

const spawnFailed = (agent: AgentCommand) => (e: { message: string }) =>
  Effect.logError(`Failed to start the trace-agent with args ${JSON.stringify(agent.command)}: ${e.message}`).pipe(
    Effect.as({ _tag: "Stopped", code: 1, why: "agent failed to start" } satisfies LoaderOutcome)
  )

/** Starts the agent with no sockets (`why` says why not) and waits for its exit. */
export const superviseDirect = (agent: AgentCommand, signals: Queue.Dequeue<string>, why: string): Effect.Effect<LoaderOutcome> =>
  Effect.gen(function*() {
    yield* Effect.logDebug(`Starting the trace-agent directly: ${why}`)
    const started = yield* startAgent(agent, [], [], { reason: "direct", absorbed: 0, waitedMs: 0 }, false, false, () => {})
    const exit = yield* superviseAgent(started, signals)
    return { _tag: "AgentExited", code: exitCodeOf(exit), exit, reason: "direct" } satisfies LoaderOutcome
  }).pipe(Effect.scoped, Effect.catchAll(spawnFailed(agent)))

/** Supervises an agent the idle phase already started with its sockets (idle/IdleLaunch.ts) until it exits. */
export const superviseLaunched = (
  agent: AgentCommand,
  signals: Queue.Dequeue<string>,
  launched: LaunchedAgent,
  reason: ActivationReason
): Effect.Effect<LoaderOutcome> =>
  Effect.gen(function*() {
    const started = yield* adoptAgent(launched, agent.stopGrace)
    if (agent.onAgentStarted) yield* agent.onAgentStarted(started.pid)
    const exit = yield* superviseAgent(started, signals)
    return { _tag: "AgentExited", code: exitCodeOf(exit), exit, reason } satisfies LoaderOutcome
  }).pipe(Effect.scoped)

export const runLoader = (options: LoaderOptions): Effect.Effect<LoaderOutcome> =>
  Effect.gen(function*() {
    const [name, ...args] = options.command
    const resolved = yield* resolveCommand(name, options.env["PATH"]).pipe(Effect.either)
    if (Either.isLeft(resolved)) {
      yield* Effect.logFatal(`Failed to look up the trace-agent binary: ${resolved.left.message}`)
      return { _tag: "Stopped", code: 1, why: "agent command not found" } satisfies LoaderOutcome
    }
    const agent: AgentCommand = { ...options, command: [resolved.right, ...args], argv0: name }
    const superviseDirectly = (why: string) => superviseDirect(agent, options.signals, why)

    const loaded = yield* options.config.pipe(Effect.either)
    if (Either.isLeft(loaded)) {
      yield* Effect.logWarning(`Failed to load the configuration: ${loaded.left.message}`)
      return yield* superviseDirectly("invalid configuration")
    }
    const config = options.handleTcpProbe === true ? { ...loaded.right, handleTcpProbe: true } : loaded.right

    return yield* Effect.gen(function*() {
      if (!agentEnabled(config)) {
        yield* Effect.logInfo("Trace-agent is disabled, stopping...")
        return { _tag: "Stopped", code: 0, why: "APM disabled" } satisfies LoaderOutcome
      }
      if (!config.socketActivation) {
        yield* Effect.logInfo("Socket-activation for the trace-agent is disabled, running the trace-agent directly...")
        return yield* superviseDirectly("socket activation disabled")
      }
      if (config.nonLocalBecauseContainerized) {
        yield* Effect.logInfo(
          "Activating non-local traffic automatically in containerized environment, trace-agent will listen on 0.0.0.0"
        )
      }

      if (options.idle !== undefined) yield* options.idle({ command: agent.command, argv0: name, config: idleConfigOf(config) })

      // The agent lives in this outer scope; the sockets in the inner one, closed after handover.
      const outer = yield* Effect.scope
      const started = yield* Effect.gen(function*() {
        const set = yield* openListeners(idleConfigOf(config)).pipe(Effect.either)
        if (Either.isLeft(set)) {
          yield* Effect.logWarning(`Failed to get listeners for the trace-agent: ${set.left.message}`)
          return { _tag: "Direct" } as WaitPhase
        }
        const holder = set.right
        if (holder.listeners.length === 0) {
          yield* Effect.logInfo("All trace-agent inputs are disabled, stopping...")
          return { _tag: "NoInputs" } as WaitPhase
        }
        yield* Effect.logInfo(
          `Polling... ${JSON.stringify(holder.listeners.map((l) => ({ kind: l.kind, address: l.address, fd: l.fd })))}`
        )
        if (options.onListening) yield* options.onListening(holder.listeners)
        const result = yield* waitForActivation({
          holder,
          classifier: classifierFor(config.classifier),
          signals: options.signals,
          holdTimeoutMs: config.holdTimeoutMs,
          policy: {
            handleTcpProbe: config.handleTcpProbe,
            maxHeld: config.maxHeld,
            secondClientActivates: config.secondClientActivates
          }
        })
        if (result._tag === "Exit") {
          yield* Effect.logInfo(`Stopping: ${result.detail}`)
          return result as WaitPhase
        }
        yield* Effect.logInfo(activationLine(result))
        const spawned = yield* startAgent(
          agent,
          holder.listeners,
          handoverOrder(holder.held(), result.trigger),
          result,
          config.listenFds,
          config.classifier === "read",
          holder.relinquish
        ).pipe(Scope.extend(outer), Effect.either)
        return { _tag: "Started", agent: spawned, reason: result.reason } as WaitPhase
      }).pipe(Effect.scoped)

      switch (started._tag) {
        case "NoInputs":
          return { _tag: "Stopped", code: 0, why: "no inputs" } satisfies LoaderOutcome
        case "Direct":
          return yield* superviseDirectly("listener failure")
        case "Exit":
          return { _tag: "Stopped", code: started.code, why: started.detail } satisfies LoaderOutcome
        case "Started": {
          if (Either.isLeft(started.agent)) return yield* spawnFailed(agent)(started.agent.left)
          const exit = yield* superviseAgent(started.agent.right, options.signals)
          return { _tag: "AgentExited", code: exitCodeOf(exit), exit, reason: started.reason } satisfies LoaderOutcome
        }
      }
    }).pipe(Logger.withMinimumLogLevel(levels[config.logLevel]))
  }).pipe(Effect.scoped, Effect.annotateLogs("logger", "TRACE-LOADER"))

/** The loader's log lines at the configured level, named TRACE-LOADER (what runLoader sets for itself). */
export const withLoaderLevel = (level: LogLevelName) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  self.pipe(Logger.withMinimumLogLevel(levels[level]), Effect.annotateLogs("logger", "TRACE-LOADER"))
