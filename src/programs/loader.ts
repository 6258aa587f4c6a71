/**
 * `dd-agent loader [--config FILE] [--handle-tcp-probe] -- AGENT_COMMAND [ARGS...]`: holds the APM
 * receiver sockets and starts the agent on the first real traffic, then exits with its status.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { loadLoaderConfig } from "../layers/loader/ConfigFile.js"
import { withLoaderLogger } from "../layers/loader/LogFormat.js"
import { runLoader } from "../layers/loader/Loader.js"
import { processSignals } from "../layers/ProcessSignals.js"

const config = Options.file("config", { exists: "either" }).pipe(
  Options.withDescription("datadog.yaml-style configuration file (DD_* variables override it)"),
  Options.optional
)
const handleTcpProbe = Options.boolean("handle-tcp-probe").pipe(
  Options.withDescription("absorb TCP connections that close without sending data (overrides the configuration)")
)
const command = Args.text({ name: "AGENT_COMMAND" }).pipe(
  Args.atLeast(1),
  Args.withDescription("the agent program and its arguments, after --")
)

export const loaderCommand = Command.make(
  "loader",
  { config, handleTcpProbe, command },
  (opts) =>
    Effect.gen(function*() {
      const signals = yield* processSignals()
      return yield* runLoader({
        command: opts.command,
        config: loadLoaderConfig(Option.getOrUndefined(opts.config), process.env),
        env: process.env,
        ...(opts.handleTcpProbe ? { handleTcpProbe: true } : {}),
        signals
      })
    }).pipe(
      Effect.scoped,
      withLoaderLogger,
      // The loader stands in for the agent's process, so its status is the agent's. Every scope
      // the loader opened is closed at this point.
      Effect.flatMap((outcome) => Effect.sync(() => process.exit(outcome.code))),
      // Signals are handled by the loader itself (they end the wait or are forwarded to the agent),
      // so the runtime's own SIGINT/SIGTERM interruption must not cut the supervision short.
      Effect.uninterruptible
    )
).pipe(Command.withDescription("Hold the APM receiver sockets and start the agent only on real traffic"))
