/**
 * Every command's help as the CLI prints it, rendered by @effect/cli through the CLI's own pipeline (cli.ts and
 * its Console, cliConsole.ts). The build writes them to dist/help.json (scripts/build-help.mjs), from which the
 * launcher answers `dd-agent [COMMAND [SUBCOMMAND]] --help` without loading Effect (renderedHelp.ts).
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Command } from "@effect/cli"
import { type Console, Effect, HashMap } from "effect"
import { cli, commands } from "./cli.js"
import { cliConsole } from "./cliConsole.js"

/** The help `dd-agent ...path --help` prints, with its colours (the launcher removes them where they do not belong). */
export const renderHelp = (path: ReadonlyArray<string>): Effect.Effect<string, unknown> =>
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
export const commandPaths = async (): Promise<ReadonlyArray<ReadonlyArray<string>>> => {
  const paths: Array<ReadonlyArray<string>> = [[]]
  for (const [name, load] of commands) {
    paths.push([name])
    // A command without subcommands lists itself.
    for (const sub of HashMap.keys(Command.getSubcommands(await load()))) if (sub !== name) paths.push([name, sub])
  }
  return paths
}

/** Each command path's help, keyed by the path's words joined by one space. */
export const helpTexts = async (): Promise<Record<string, string>> => {
  const texts: Record<string, string> = {}
  for (const path of await commandPaths()) texts[path.join(" ")] = await Effect.runPromise(renderHelp(path))
  return texts
}
