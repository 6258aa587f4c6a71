/** Reads the agent's YAML configuration file for the loader (parsing only; decoding is pure). */
import * as Fs from "node:fs/promises"
import { Effect, Either } from "effect"
import type { ConfigIssue } from "../../services/config/ConfigIssue.js"
import type { YamlDocument } from "../../services/config/YamlDocument.js"
import { decodeLoaderConfig, type LoaderConfig } from "../../services/loader/Config.js"
import { ConfigFileError, LoaderConfigError } from "../../services/loader/errors.js"

/** The parsed document (the same YAML reader as the agent's); no file means an empty configuration. */
export const readConfigFile = (path: string | undefined): Effect.Effect<YamlDocument | undefined, ConfigFileError | LoaderConfigError> =>
  path === undefined
    ? Effect.succeed(undefined)
    : Effect.gen(function*() {
      const text = yield* Effect.tryPromise({
        try: () => Fs.readFile(path, "utf8"),
        catch: (e) => new ConfigFileError({ path, message: e instanceof Error ? e.message : String(e) })
      })
      // Loaded on demand: most loaders run from DD_* variables alone, and idle memory matters here.
      const { parseYamlDocument } = yield* Effect.promise(() => import("../../services/config/YamlDocument.js"))
      const parsed = parseYamlDocument(text, path)
      if (Either.isLeft(parsed)) return yield* new LoaderConfigError({ issues: parsed.left as [ConfigIssue, ...Array<ConfigIssue>] })
      return parsed.right
    })

/** File plus environment, decoded. */
export const loadLoaderConfig = (
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<LoaderConfig, ConfigFileError | LoaderConfigError> =>
  readConfigFile(path).pipe(
    Effect.flatMap((doc) => decodeLoaderConfig({ file: doc?.value ?? {}, where: doc?.where, env, platform: process.platform }))
  )
