/**
 * The `dd-agent` command tree. Each command is defined in its own program file and loaded only when it runs,
 * so `dd-agent status --help` does not load gRPC or the agent: registering a command is one line in
 * `commands`. The top-level help, a mistyped command name and options before the command load them all.
 */
import { Command } from "@effect/cli"
import type { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import { needsZstd } from "./requireZstd.js"
import { version } from "./version.js"

/**
 * A top-level command that needs nothing beyond the runtime (NodeContext). Its name and parsed arguments are
 * its own (Command is invariant in both, hence `any`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = Command.Command<any, NodeContext.NodeContext, unknown, any>

/** Every command, in the order the help lists them, with the module that defines it. */
export const commands: ReadonlyArray<readonly [name: string, load: () => Promise<AnyCommand>]> = [
  ["run", () => import("./agent.js").then((m) => needsZstd(m.runCommand))],
  ["intake", () => import("./intake.js").then((m) => needsZstd(m.intakeCommand))],
  ["logs", () => import("./logsSend.js").then((m) => needsZstd(m.logsCommand))],
  ["processes", () => import("./processes.js").then((m) => m.processesCommand)],
  ["snapshot", () => import("./snapshot.js").then((m) => m.snapshotCommand)],
  ["loader", () => import("./loader.js").then((m) => m.loaderCommand)],
  ["debug", () => import("./debug.js").then((m) => m.debugCommand)],
  ["status", () => import("./status.js").then((m) => m.statusCommand)],
  ["config", () => import("./config.js").then((m) => m.configCommand)]
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

/** Parses `argv` (as `process.argv`), loads the command it names and runs it. */
export const cli = (argv: ReadonlyArray<string>) =>
  Effect.promise(() => commandsFor(argv)).pipe(
    Effect.flatMap((subcommands) => Command.run(ddAgent(subcommands), { name: "dd-agent", version })(argv))
  )
