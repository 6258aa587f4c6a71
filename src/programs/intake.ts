import { Command } from "@effect/cli"
import { Effect } from "effect"

export const intakeCommand = Command.make("intake", {}, () => Effect.dieMessage("intake: under construction"))
