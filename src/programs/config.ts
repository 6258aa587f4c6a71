/**
 * `dd-agent config check`: validates the agent's configuration and prints the effective settings (secrets
 * masked). Also the `--config` option every command reading the agent's configuration shares.
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Redacted } from "effect"
import { configWarnings } from "../layers/agent/configWarnings.js"
import { loadSettings } from "../layers/agent/loadSettings.js"
import type { AgentSettings } from "../services/config/AgentSettings.js"
import { knownEnvVariables } from "../services/config/decodeConfig.js"

export const configOption = Options.file("config", { exists: "yes" }).pipe(
  Options.withDescription("agent configuration (YAML, datadog.yaml-style keys); DD_* variables override it"),
  Options.optional
)

const masked = (s: AgentSettings) => ({
  ...s,
  apiKey: s.apiKey === undefined ? undefined : `${"*".repeat(Math.max(0, Redacted.value(s.apiKey).length - 4))}${Redacted.value(s.apiKey).slice(-4)}`
})

const checkCommand = Command.make("check", { config: configOption }, ({ config }) =>
  Effect.gen(function*() {
    const settings = yield* loadSettings(config)
    for (const warning of yield* configWarnings(settings)) yield* Console.error(`warning: ${warning}`)
    yield* Console.log(JSON.stringify({ effective: masked(settings), environment_overrides: knownEnvVariables.filter((v) => process.env[v] !== undefined) }, null, 2))
  })).pipe(Command.withDescription("Validate the configuration and print the effective settings (secrets masked)"))

export const configCommand = Command.make("config").pipe(
  Command.withDescription("Agent configuration"),
  Command.withSubcommands([checkCommand])
)
