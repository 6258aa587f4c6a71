/**
 * The trace loader alone, loaded by loaderMain.ts (`dd-agent-loader [options] -- AGENT_COMMAND...`): the loader
 * idles for as long as no traffic arrives, so its bundle carries only the loader and the runtime, not the
 * other subsystems (gRPC, protobuf, msgpack, HTTP clients). Like main.ts, the only place that runs an Effect.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Command } from "@effect/cli"
import { Effect } from "effect"
import { loaderCommand } from "./loader.js"
import { version } from "./version.js"

Command.run(loaderCommand, { name: "dd-agent-loader", version })(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: false })
)
