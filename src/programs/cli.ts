/**
 * The `dd-agent` command tree. Each command is defined in its own program file and loaded only when it runs,
 * so `dd-agent status --help` does not load gRPC or the agent: registering a command is one line in
 * `commands`. The top-level help, a mistyped command name and options before the command load them all.
 */
import { CliConfig, Command, HelpDoc, ValidationError } from "@effect/cli"
import type { NodeContext } from "@effect/platform-node"
import { Data, Effect } from "effect"
import { needsZstd } from "./requireZstd.js"
import { stripAnsi, usageErrorLine } from "./usageError.js"
import { version } from "./version.js"

/** A top-level command with its name and parsed arguments erased, so commands of different shapes share a list. */
export type AnyCommand = Command.Command<string, NodeContext.NodeContext, unknown, unknown>

/**
 * Erases a command's name and arguments (Command is invariant in both; the tree reads them only through the
 * command itself) while checking what is kept: the command needs nothing beyond the runtime (NodeContext).
 */
const erase = <Name extends string, E, A>(command: Command.Command<Name, NodeContext.NodeContext, E, A>): AnyCommand =>
  command as unknown as AnyCommand

/** Every command, in the order the help lists them, with the module that defines it. */
export const commands: ReadonlyArray<readonly [name: string, load: () => Promise<AnyCommand>]> = [
  ["run", () => import("./agent.js").then((m) => erase(needsZstd(m.runCommand)))],
  ["intake", () => import("./intake.js").then((m) => erase(needsZstd(m.intakeCommand)))],
  ["logs", () => import("./logsSend.js").then((m) => erase(needsZstd(m.logsCommand)))],
  ["processes", () => import("./processes.js").then((m) => erase(m.processesCommand))],
  ["snapshot", () => import("./snapshot.js").then((m) => erase(m.snapshotCommand))],
  ["loader", () => import("./loader.js").then((m) => erase(m.loaderCommand))],
  ["debug", () => import("./debug.js").then((m) => erase(m.debugCommand))],
  ["status", () => import("./status.js").then((m) => erase(m.statusCommand))],
  ["config", () => import("./config.js").then((m) => erase(m.configCommand))]
]

/** The commands `argv` (as `process.argv`) needs: the one it names, else every one (help, a mistyped name). */
export const commandsFor = (argv: ReadonlyArray<string>): Promise<readonly [AnyCommand, ...Array<AnyCommand>]> => {
  const named = commands.find(([name]) => name === argv[2])
  return named !== undefined
    ? named[1]().then((c) => [c])
    : Promise.all(commands.map(([, load]) => load())).then(([first, ...rest]) => [first!, ...rest])
}

/** The root command over the given subcommands. */
export const ddAgent = (subcommands: readonly [AnyCommand, ...Array<AnyCommand>]) =>
  Command.make("dd-agent").pipe(
    Command.withDescription("Datadog agent subsystems as Effect services"),
    Command.withSubcommands(subcommands)
  )

/** The command line could not be parsed; `line` says where and why, in one `dd-agent:` line. */
export class CommandLineError extends Data.TaggedError("CommandLineError")<{ readonly line: string }> {}

/**
 * Parses `argv` (as `process.argv`), loads the command it names and runs it. `onHandlerStart` runs once the
 * command line is parsed, before the command itself: until then @effect/cli's output is its own diagnostics.
 */
export const cli = (argv: ReadonlyArray<string>, onHandlerStart: Effect.Effect<void> = Effect.void) =>
  Effect.promise(() => commandsFor(argv)).pipe(
    Effect.flatMap((subcommands) => {
      const root = ddAgent(subcommands)
      return Command.run(Command.transformHandler(root, (handler) => Effect.zipRight(onHandlerStart, handler)), { name: "dd-agent", version })(argv).pipe(
        Effect.catchIf(ValidationError.isValidationError, (e) => {
          const help = stripAnsi(HelpDoc.toAnsiText(Command.getHelp(root, CliConfig.defaultConfig)))
          const options = [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])]
          const names = commands.map(([name]) => name)
          return Effect.fail(new CommandLineError({ line: usageErrorLine(argv.slice(2), HelpDoc.toAnsiText(e.error), names, options) }))
        })
      )
    })
  )
