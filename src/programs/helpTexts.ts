/**
 * Every command's help as the CLI prints it, rendered by @effect/cli through the CLI's own pipeline (cli.ts and
 * its Console, cliConsole.ts). The build writes them to dist/help.json (scripts/build-help.mjs), from which the
 * launcher answers `dd-agent [COMMAND [SUBCOMMAND]] --help` without loading Effect (renderedHelp.ts). A program
 * of the build: like main.ts, it runs its Effect itself.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { writeFileSync } from "node:fs"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Command } from "@effect/cli"
import { type Console, Effect, HashMap } from "effect"
import { cli, commands } from "./cli.js"
import { cliConsole } from "./cliConsole.js"

/** The help `dd-agent ...path --help` prints, with its colours (the launcher removes them where they do not belong). */
const renderHelp = (path: ReadonlyArray<string>): Effect.Effect<string, unknown> =>
  Effect.consoleWith((base) => {
    const printed: Array<ReadonlyArray<unknown>> = []
    const capture: Console.Console = { ...base, log: (...args) => Effect.sync(() => { printed.push(args) }) }
    return cli(["node", "dd-agent", ...path, "--help"]).pipe(
      Effect.withConsole(cliConsole(capture, () => false, { stdout: false, stderr: false })),
      Effect.provide(NodeContext.layer),
      Effect.flatMap(() => {
        const [only, ...more] = printed
        return only?.length === 1 && typeof only[0] === "string" && more.length === 0
          ? Effect.succeed(only[0])
          : Effect.fail(new Error(`dd-agent ${path.join(" ")} --help printed ${printed.length} times, not one text`))
      })
    )
  })

/** Every command path: the root (""), each command, each of its subcommands ("logs send"). */
const commandPaths: Effect.Effect<ReadonlyArray<ReadonlyArray<string>>> = Effect.gen(function*() {
  const paths: Array<ReadonlyArray<string>> = [[]]
  for (const [name, load] of commands) {
    paths.push([name])
    const command = yield* Effect.promise(load)
    // A command without subcommands lists itself.
    for (const sub of HashMap.keys(Command.getSubcommands(command))) if (sub !== name) paths.push([name, sub])
  }
  return paths
})

/** Each command path's help, keyed by the path's words joined by one space. */
const helpTexts: Effect.Effect<Record<string, string>, unknown> = commandPaths.pipe(
  Effect.flatMap(Effect.forEach((path) => Effect.map(renderHelp(path), (text) => [path.join(" "), text] as const))),
  Effect.map(Object.fromEntries)
)

// Run by the build (scripts/build-help.mjs) as `node help-texts.mjs OUT`: writes the table to OUT as JSON.
const out = process.argv[2]
if (out === undefined) throw new Error("usage: help-texts.mjs OUT (the JSON file to write)")
helpTexts.pipe(
  Effect.flatMap((texts) => Effect.sync(() => writeFileSync(out, JSON.stringify(texts) + "\n"))),
  NodeRuntime.runMain({ disableErrorReporting: false })
)
