/** Reads the agent's configuration file (optional) and the `DD_*` environment into effective settings. */
import * as Fs from "node:fs"
import { Data, Effect, Either, Option } from "effect"
import { type AgentSettings, resolveSettings } from "../../services/config/AgentSettings.js"
import { decodeAgentConfig } from "../../services/config/decodeConfig.js"

export class ConfigFileError extends Data.TaggedError("ConfigFileError")<{ readonly path: string; readonly message: string }> {}

export const loadSettings = (path: Option.Option<string>, env: Readonly<Record<string, string | undefined>> = process.env) =>
  Effect.gen(function*() {
    const text = Option.isNone(path) ? "" : yield* Effect.try({
      try: () => Fs.readFileSync(path.value, "utf8"),
      catch: (e) => new ConfigFileError({ path: path.value, message: `cannot read ${path.value}: ${(e as Error).message}` })
    })
    const decoded = decodeAgentConfig(text, Option.getOrElse(path, () => "(no file)"), env)
    if (Either.isLeft(decoded)) return yield* decoded.left
    return resolveSettings(decoded.right) satisfies AgentSettings
  })
