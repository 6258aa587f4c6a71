/**
 * `dd-agent loader [--config FILE] [--handle-tcp-probe] -- AGENT_COMMAND [ARGS...]`: holds the APM
 * receiver sockets and starts the agent on the first real traffic, then exits with its status.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as Fs from "node:fs"
import { fileURLToPath } from "node:url"
import { loadLoaderConfig } from "../layers/loader/ConfigFile.js"
import { withLoaderLogger } from "../layers/loader/LogFormat.js"
import { runLoader } from "../layers/loader/Loader.js"
import { processSignals } from "../layers/ProcessSignals.js"
import { encodeIdlePlan, IDLE_PLAN_VARIABLE, type IdlePlan } from "../services/loader/IdlePlan.js"

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

/**
 * The idle image: dist/dd-agent-loader-idle.cjs above the bundle's chunks (scripts/build.mjs checks that this
 * module is bundled there), or the source beside this file when the CLI runs from src/ (under tsx, whose hooks
 * are in execArgv).
 */
const idleImage = (): string | undefined =>
  [new URL("../dd-agent-loader-idle.cjs", import.meta.url), new URL("./loaderIdle.ts", import.meta.url)]
    .map((u) => fileURLToPath(u))
    .find((f) => Fs.existsSync(f))

/**
 * Re-executes this process into the loader's lean idle image (loaderIdle.ts) with the plan: same pid, stdio
 * and V8 flags, and none of the memory Effect and the command line took. Nothing is open yet that the new
 * image would need (the sockets are bound there). The command line follows, unused, for `ps`. Returns only if
 * the re-execution failed.
 */
const execIdle = (plan: IdlePlan) =>
  Effect.try({
    try: () => {
      const image = idleImage()
      if (image === undefined) throw new Error("no idle image (dist/dd-agent-loader-idle.cjs: npm run build)")
      process.execve!(process.execPath, [process.execPath, ...process.execArgv, image, ...process.argv.slice(2)], {
        ...process.env,
        [IDLE_PLAN_VARIABLE]: encodeIdlePlan(plan)
      })
    },
    catch: (e) => (e instanceof Error ? e.message : String(e))
  }).pipe(
    Effect.catchAll((why) => Effect.logWarning(`Cannot re-execute into the idle phase (${why}), waiting in this process`))
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
        // Where the runtime cannot re-execute itself (process.execve: Node >= 23.11), the wait runs here.
        ...(typeof process.execve === "function" ? { idle: execIdle } : {}),
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
