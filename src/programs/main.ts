/**
 * Process entry point: the only place that runs an Effect. SIGINT/SIGTERM interrupt the main fiber, which
 * closes every scope the command opened. Logs go to stderr so that stdout carries only program output.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Logger, LogLevel } from "effect"
import { cli } from "./cli.js"

const logLevel = (() => {
  const wanted = (process.env["DD_LOG_LEVEL"] ?? "info").toLowerCase()
  return LogLevel.allLevels.find((l) => l.label.toLowerCase() === wanted) ?? LogLevel.Info
})()

cli(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))),
  Logger.withMinimumLogLevel(logLevel),
  NodeRuntime.runMain
)
