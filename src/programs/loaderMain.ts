/**
 * The loader-only entry point (`dist/dd-agent-loader.mjs`, `dd-agent-loader [options] -- AGENT_COMMAND...`):
 * gives the loader its V8 settings (nodeFlags.ts), turns V8's compile cache on, then loads the loader
 * (loaderCli.ts), which reads the configuration and re-executes the process into its idle image (loader.ts).
 */
import * as Module from "node:module"
import { loaderFlags, reexecWith } from "./nodeFlags.js"

reexecWith(loaderFlags)
Module.enableCompileCache?.()
await import("./loaderCli.js")
