/**
 * The CLI's entry point (`dist/dd-agent.mjs`). It imports only Node built-ins and small launcher modules: it
 * answers `--version` and `[COMMAND [SUBCOMMAND]] --help` at once (the help from dist/help.json: renderedHelp.ts),
 * gives long-running commands their V8 settings (nodeFlags.ts), turns V8's compile cache on (later runs skip parsing
 * and compiling the bundle: `NODE_COMPILE_CACHE=DIR` moves the cache, `NODE_DISABLE_COMPILE_CACHE=1` turns it off),
 * and only then loads the CLI, which loads the one command it runs.
 */
import * as Module from "node:module"
import { IDLE_PLAN_VARIABLE } from "../services/loader/IdlePlan.js"
import { dataFlags, loaderFlags, reexecWith } from "./nodeFlags.js"
import { printRenderedHelp } from "./renderedHelp.js"
import { version } from "./version.js"

const command = process.argv[2]
if (process.argv.length === 3 && command === "--version") {
  process.stdout.write(`${version}\n`)
} else if (command === "loader" && process.env[IDLE_PLAN_VARIABLE] !== undefined) {
  // The loader read its configuration and re-executed itself to idle without Effect (loaderIdle.ts).
  await import("./loaderIdle.js")
} else if (printRenderedHelp(new URL("./help.json", import.meta.url), process.argv.slice(2))) {
  // answered from the help the build rendered next to this bundle
} else {
  if (command === "run" || command === "intake" || command === "logs") reexecWith(dataFlags)
  if (command === "loader") reexecWith(loaderFlags)
  Module.enableCompileCache?.()
  await import("./cliMain.js")
}
