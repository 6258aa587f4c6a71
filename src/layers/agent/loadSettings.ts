/**
 * Reads the agent's configuration file (optional) and the `DD_*` environment into effective settings. The one
 * validation of the agent's configuration: `run` and `config check` both call it, so they accept and refuse
 * the same files.
 */
import * as Fs from "node:fs"
import { Data, Effect, Either, Option } from "effect"
import { type AgentSettings, resolveSettings } from "../../services/config/AgentSettings.js"
import { ConfigError, decodeAgentConfig } from "../../services/config/decodeConfig.js"
import { decodeSenderConfig } from "../../services/logs/SenderConfig.js"

export class ConfigFileError extends Data.TaggedError("ConfigFileError")<{ readonly path: string; readonly message: string }> {}

export const loadSettings = (path: Option.Option<string>, env: Readonly<Record<string, string | undefined>> = process.env) =>
  Effect.gen(function*() {
    const text = Option.isNone(path) ? "" : yield* Effect.try({
      try: () => Fs.readFileSync(path.value, "utf8"),
      catch: (e) => new ConfigFileError({ path: path.value, message: `cannot read ${path.value}: ${(e as Error).message}` })
    })
    const source = Option.getOrElse(path, () => "(no file)")
    const decoded = decodeAgentConfig(text, source, env)
    if (Either.isLeft(decoded)) return yield* decoded.left
    const settings: AgentSettings = resolveSettings(decoded.right)
    // The sender's own rules (what the schema cannot see, e.g. how settings combine) are checked here too.
    const sender = decodeSenderConfig(settings.logs.sender)
    if (Either.isLeft(sender)) {
      return yield* new ConfigError({ source, issues: [{ path: "logs_config", where: source, message: sender.left.message }] })
    }
    return settings
  })
