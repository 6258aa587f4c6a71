/** `dd-agent run`: the composed agent. */
import { Command } from "@effect/cli"
import { Console, Effect, Layer } from "effect"
import * as Agent from "../layers/agent/Agent.js"
import { AgentComponents, exitCodeOf } from "../layers/agent/AgentComponents.js"
import { configWarnings } from "../layers/agent/configWarnings.js"
import { loadSettings } from "../layers/agent/loadSettings.js"
import { configOption } from "./config.js"

export const runCommand = Command.make("run", { config: configOption }, ({ config }) =>
  Effect.gen(function*() {
    const settings = yield* loadSettings(config)
    for (const warning of yield* configWarnings(settings)) yield* Effect.logWarning(warning)
    const components = yield* AgentComponents.make
    const agent = Agent.layer(settings, {
      liveSummary: process.stderr.isTTY === true,
      onReady: (info) =>
        Console.error(JSON.stringify({ ready: true, status: info.status ?? null, intake_output: info.intakeOutput ?? null }))
    }).pipe(Layer.provide(Layer.succeed(AgentComponents, components)))
    // Runs until SIGINT/SIGTERM interrupts it; the layers' finalizers are the orderly stop. Their outcomes,
    // recorded during the teardown, decide the exit status.
    yield* Layer.launch(agent).pipe(
      Effect.ensuring(Effect.gen(function*() {
        const outcomes = yield* components.outcomes
        const logs = outcomes.get("logs")
        if (logs !== undefined) yield* Console.error(JSON.stringify({ summary: logs.summary }))
        process.exitCode = exitCodeOf(outcomes)
      }))
    )
  })).pipe(Command.withDescription("Run the composed agent until SIGINT/SIGTERM"))
