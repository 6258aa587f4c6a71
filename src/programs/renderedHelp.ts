/**
 * Answers `dd-agent [COMMAND [SUBCOMMAND]] --help` (or `-h`), and nothing else, from the help the build rendered
 * with @effect/cli (helpTexts.ts → dist/help.json), so that asking for help costs what `--version` does instead
 * of loading Effect, @effect/cli and the command. Anything else (help with other arguments, an unknown command,
 * no rendered help next to the bundle, as when running the sources) goes the full path. Node built-ins only.
 */
import { readFileSync } from "node:fs"
import { plainOn, stripAnsi } from "./usageError.js"

/** The command path `args` (the arguments after the program) asks help for, as helpTexts.ts keys it; else undefined. */
export const helpPath = (args: ReadonlyArray<string>): string | undefined => {
  const words = args.slice(0, -1)
  const last = args.at(-1)
  return (last === "--help" || last === "-h") && words.every((w) => /^[a-z][a-z-]*$/.test(w)) ? words.join(" ") : undefined
}

/** Prints the help `args` asks for from the rendered `table` (a JSON file) and says whether it did. */
export const printRenderedHelp = (table: URL, args: ReadonlyArray<string>): boolean => {
  const path = helpPath(args)
  if (path === undefined) return false
  let texts: Record<string, string>
  try {
    texts = JSON.parse(readFileSync(table, "utf8"))
  } catch {
    return false // not built (the sources run through tsx) or unreadable: the full path renders the help itself
  }
  if (!Object.hasOwn(texts, path)) return false
  const text = texts[path]!
  process.stdout.write(`${plainOn(process.stdout) ? stripAnsi(text) : text}\n`)
  return true
}
