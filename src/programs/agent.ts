/**
 * `dd-agent run`, `dd-agent config check` and `dd-agent status`: the composed agent, its effective
 * configuration, and a readable report of a running agent's /status.
 */
import * as Http from "node:http"
import { Command, Options } from "@effect/cli"
import { Console, Data, Effect, Layer, Option, Redacted } from "effect"
import * as Agent from "../layers/agent/Agent.js"
import { AgentComponents, exitCodeOf } from "../layers/agent/AgentComponents.js"
import { configWarnings } from "../layers/agent/configWarnings.js"
import { loadSettings } from "../layers/agent/loadSettings.js"
import { type AgentSettings, defaultStatusPort } from "../services/config/AgentSettings.js"
import { knownEnvVariables } from "../services/config/decodeConfig.js"
import { parseHostPort } from "./hostPort.js"
import { renderStatusReport } from "./statusReport.js"

const configOption = Options.file("config", { exists: "yes" }).pipe(
  Options.withDescription("agent configuration (YAML, datadog.yaml-style keys); DD_* variables override it"),
  Options.optional
)

const runCommand = Command.make("run", { config: configOption }, ({ config }) =>
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

export class StatusUnavailable extends Data.TaggedError("StatusUnavailable")<{ readonly message: string }> {}

const fetchStatus = (target: { host: string; port: number } | { socket: string }, token: Redacted.Redacted<string> | undefined) =>
  Effect.async<unknown, StatusUnavailable>((resume) => {
    const where = "socket" in target ? target.socket : `${target.host}:${target.port}`
    const headers = token === undefined ? {} : { authorization: `Bearer ${Redacted.value(token)}` }
    const req = Http.get({ ...("socket" in target ? { socketPath: target.socket } : { host: target.host, port: target.port }), path: "/status", headers, timeout: 5000 }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (d) => { body += d })
      res.on("end", () => {
        if (res.statusCode === 401) return resume(Effect.fail(new StatusUnavailable({ message: `${where} refused the request: set status.auth_token (or DD_STATUS_AUTH_TOKEN)` })))
        try {
          resume(Effect.succeed(JSON.parse(body)))
        } catch {
          resume(Effect.fail(new StatusUnavailable({ message: `${where}/status did not answer JSON (HTTP ${res.statusCode})` })))
        }
      })
    })
    req.on("timeout", () => req.destroy(new Error("timed out")))
    req.on("error", (e) => resume(Effect.fail(new StatusUnavailable({ message: `no agent answering at ${where}: ${e.message}` }))))
    return Effect.sync(() => req.destroy())
  })

const statusCommand = Command.make(
  "status",
  {
    config: configOption,
    address: Options.text("address").pipe(Options.withDescription("HOST:PORT or unix socket path of the agent's status endpoint"), Options.optional),
    json: Options.boolean("json").pipe(Options.withDescription("print the raw /status JSON"))
  },
  ({ address, config, json }) =>
    Effect.gen(function*() {
      // The configuration (file and DD_* variables) gives the default address and the token, if any.
      const settings = yield* loadSettings(config)
      const target = Option.isSome(address)
        ? (address.value.includes("/") ? { socket: address.value } : yield* parseHostPort(address.value, "--address"))
        : settings.status.where
      const status = yield* fetchStatus(target, settings.status.authToken)
      yield* Console.log(json ? JSON.stringify(status, null, 2) : renderStatusReport(status))
    })
).pipe(Command.withDescription(`Report the state of a running agent (default 127.0.0.1:${defaultStatusPort} or the config's status address)`))

export { runCommand, statusCommand }
