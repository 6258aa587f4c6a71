/**
 * The CLI proper, loaded by main.ts: the only place that runs an Effect. SIGINT/SIGTERM interrupt the main fiber, which
 * closes every scope the command opened. Logs go to stderr so that stdout carries only program output; a
 * failure is reported as one line naming the error (a defect with its full cause) and exits 1; a command
 * that ends normally may set `process.exitCode` to report its outcome.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Logger, LogLevel, Option } from "effect"
import { cli, CommandLineError } from "./cli.js"
import { cliConsole } from "./cliConsole.js"
import { plainOn } from "./usageError.js"

const logLevel = (() => {
  const wanted = (process.env["DD_LOG_LEVEL"] ?? "info").toLowerCase()
  return LogLevel.allLevels.find((l) => l.label.toLowerCase() === wanted) ?? LogLevel.Info
})()

const describeFailure = (cause: Cause.Cause<unknown>): Option.Option<string> => {
  if (Cause.isInterruptedOnly(cause)) return Option.none()
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const e = failure.value
    if (e instanceof CommandLineError) return Option.some(e.line)
    if (typeof e === "object" && e !== null && "message" in e) {
      const tag = "_tag" in e ? `${String(e._tag)}: ` : ""
      return Option.some(`dd-agent: ${tag}${String(e.message)}`)
    }
    return Option.some(`dd-agent: ${String(e)}`)
  }
  return Option.some(`dd-agent: unexpected failure\n${Cause.pretty(cause)}`)
}

let handlerStarted = false
const plain = { stdout: plainOn(process.stdout), stderr: plainOn(process.stderr) }

cli(process.argv, Effect.sync(() => { handlerStarted = true })).pipe(
  Effect.tapErrorCause(() => Effect.sync(() => { handlerStarted = true })),
  Effect.tapErrorCause((cause) => Option.match(describeFailure(cause), { onNone: () => Effect.void, onSome: Console.error })),
  (program) => Effect.consoleWith((base) => Effect.withConsole(program, cliConsole(base, () => handlerStarted, plain))),
  Effect.provide(NodeContext.layer),
  Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))),
  Logger.withMinimumLogLevel(logLevel),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    // Logs go to stderr (logfmt, above) only: without this the runtime adds its pretty logger on stdout.
    disablePrettyLogger: true,
    // A command may set process.exitCode to report an outcome (e.g. "some logs were not acknowledged")
    // without failing; keep it also when the run ended by a signal.
    teardown: (exit, onExit) =>
      onExit(Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? 1 : Number(process.exitCode ?? 0))
  })
)
