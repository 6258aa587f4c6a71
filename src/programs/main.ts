/**
 * Process entry point: the only place that runs an Effect. SIGINT/SIGTERM interrupt the main fiber,
 * which closes every scope the command opened.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { cli } from "./cli.js"

cli(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: false })
)
