/**
 * The loader-only entry point (`dist/dd-agent-loader.mjs`, `dd-agent-loader [options] -- AGENT_COMMAND...`):
 * gives the loader its V8 settings (nodeFlags.ts), turns V8's compile cache on, then loads the loader
 * (loaderCli.ts), which reads the configuration and re-executes this entry into the idle phase (loaderIdle.ts).
 */
import * as Module from "node:module"
import { IDLE_PLAN_VARIABLE } from "../services/loader/IdlePlan.js"
import { loaderFlags, reexecWith } from "./nodeFlags.js"

if (process.env[IDLE_PLAN_VARIABLE] !== undefined) {
  await import("./loaderIdle.js")
} else {
  reexecWith(loaderFlags)
  Module.enableCompileCache?.()
  await import("./loaderCli.js")
}
