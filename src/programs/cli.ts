/**
 * The `dd-agent` command tree. Each concern contributes one command from its own program file;
 * this file only assembles them.
 */
import { Command } from "@effect/cli"
import { configCommand, runCommand, statusCommand } from "./agent.js"
import { debugCommand } from "./debug.js"
import { intakeCommand } from "./intake.js"
import { loaderCommand } from "./loader.js"
import { logsCommand } from "./logsSend.js"
import { processesCommand } from "./processes.js"
import { snapshotCommand } from "./snapshot.js"

export const ddAgent = Command.make("dd-agent").pipe(
  Command.withDescription("Datadog agent subsystems as Effect services"),
  Command.withSubcommands([
    runCommand,
    intakeCommand,
    logsCommand,
    processesCommand,
    snapshotCommand,
    loaderCommand,
    debugCommand,
    statusCommand,
    configCommand
  ])
)

/** Parses `argv` (as `process.argv`) and runs the chosen command. */
export const cli = Command.run(ddAgent, { name: "dd-agent", version: "0.1.0" })
