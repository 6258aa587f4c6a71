/** `dd-agent status`: a readable report of a running agent's /status. */
import * as Http from "node:http"
import { Command, Options } from "@effect/cli"
import { Console, Data, Effect, Option, Redacted } from "effect"
import { loadSettings } from "../layers/agent/loadSettings.js"
import { defaultStatusPort } from "../services/config/AgentSettings.js"
import { configOption } from "./config.js"
import { parseHostPort } from "./hostPort.js"
import { renderStatusReport } from "./statusReport.js"

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

export const statusCommand = Command.make(
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
