/** Reads the agent's YAML configuration file for the loader (parsing only; decoding is pure). */
import * as Fs from "node:fs/promises"
import { Effect } from "effect"
import { decodeLoaderConfig, type LoaderConfig } from "../../services/loader/Config.js"
import { ConfigFileError, type LoaderConfigError } from "../../services/loader/errors.js"

/** The parsed document; no file means an empty configuration (defaults and `DD_*` only). */
export const readConfigFile = (path: string | undefined): Effect.Effect<unknown, ConfigFileError> =>
  path === undefined
    ? Effect.succeed({})
    : Effect.gen(function*() {
      const text = yield* Effect.tryPromise({
        try: () => Fs.readFile(path, "utf8"),
        catch: (e) => new ConfigFileError({ path, message: e instanceof Error ? e.message : String(e) })
      })
      // Loaded on demand: most loaders run from DD_* variables alone, and idle memory matters here.
      const Yaml = yield* Effect.promise(() => import("yaml"))
      const doc = Yaml.parseDocument(text, { prettyErrors: false })
      const first = doc.errors[0]
      if (first !== undefined) return yield* new ConfigFileError({ path, message: `invalid YAML: ${first.message}` })
      return doc.toJS() ?? {}
    })

/** File plus environment, decoded. */
export const loadLoaderConfig = (
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<LoaderConfig, ConfigFileError | LoaderConfigError> =>
  readConfigFile(path).pipe(
    Effect.flatMap((file) => decodeLoaderConfig({ file, env, platform: process.platform }))
  )
