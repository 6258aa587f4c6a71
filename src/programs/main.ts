/**
 * The CLI's entry point (`dist/dd-agent.mjs`). It imports only Node built-ins and small launcher modules: it
 * answers `--version` and `[COMMAND [SUBCOMMAND]] --help` at once (the help from dist/help.json: renderedHelp.ts),
 * gives long-running commands their V8 settings (nodeFlags.ts), turns V8's compile cache on (later runs skip parsing
 * and compiling the bundle: `NODE_COMPILE_CACHE=DIR` moves the cache, `NODE_DISABLE_COMPILE_CACHE=1` turns it off),
 * and only then loads the CLI, which loads the one command it runs.
 */
import * as Module from "node:module"
import { dataFlags, loaderFlags, reexecWith } from "./nodeFlags.js"
import { printRenderedHelp } from "./renderedHelp.js"
import { version } from "./version.js"

const command = process.argv[2]
if (process.argv.length === 3 && command === "--version") {
  process.stdout.write(`${version}\n`)
} else if (printRenderedHelp(new URL("./help.json", import.meta.url), process.argv.slice(2))) {
  // answered from the help the build rendered next to this bundle
} else {
  if (command === "run" || command === "intake" || command === "logs") reexecWith(dataFlags)
  if (command === "loader") reexecWith(loaderFlags)
  Module.enableCompileCache?.()
  await import("./cliMain.js")
}
