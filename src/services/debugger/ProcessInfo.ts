/**
 * Who the captured process is: the port the encoder asks for the service, env, version, host name and
 * process tags of a pid, and the pure precedence rule that derives them from what a resolver can read.
 */
import { Context, Option, Schema } from "effect"
import type { Effect } from "effect"

/** The identity the snapshot envelope needs for one process. */
export interface ProcessIdentity {
  readonly service: string
  readonly env?: string | undefined
  readonly version?: string | undefined
  readonly hostname?: string | undefined
  /** `key:value` process tags, in the order the tracer published them. */
  readonly processTags: ReadonlyArray<string>
  /** Where `service` came from (for diagnostics and tests). */
  readonly serviceSource: "tracer" | "environment" | "executable"
}

/** Port: resolves a pid to its identity; `None` when the process is unknown or has no identity. */
export class ProcessInfo extends Context.Tag("dd-agent-effect/debugger/ProcessInfo")<ProcessInfo, {
  readonly lookup: (pid: number) => Effect.Effect<Option.Option<ProcessIdentity>>
}>() {}

/** The fields of the tracer-metadata memfd the identity uses (names as in the published record). */
export interface TracerMetadataFields {
  readonly service_name?: string | undefined
  readonly service_env?: string | undefined
  readonly service_version?: string | undefined
  readonly hostname?: string | undefined
  /** Raw comma-separated `key:value` list. */
  readonly process_tags?: string | undefined
}

export interface ProcessFacts {
  readonly tracer?: TracerMetadataFields | undefined
  readonly env?: {
    readonly DD_SERVICE?: string | undefined
    readonly DD_ENV?: string | undefined
    readonly DD_VERSION?: string | undefined
  } | undefined
  /** Path of the executable (`/proc/<pid>/exe` target or argv[0]). */
  readonly exe?: string | undefined
  /** Host name of the machine, used when the tracer did not publish one. */
  readonly host?: string | undefined
}

const nonEmpty = (s: string | undefined): string | undefined => {
  const t = s?.trim()
  return t === undefined || t === "" ? undefined : t
}

/** Splits a raw `k:v,k:v` list, dropping empty items. */
export const splitProcessTags = (raw: string | undefined): ReadonlyArray<string> =>
  raw === undefined ? [] : raw.split(",").map((t) => t.trim()).filter((t) => t !== "")

/** Executable base name without a trailing " (deleted)" marker. */
const exeName = (exe: string | undefined): string | undefined => {
  const base = nonEmpty(exe?.replace(/ \(deleted\)$/, "").split("/").pop())
  return base
}

/**
 * Precedence: tracer metadata, then DD_SERVICE / DD_ENV / DD_VERSION of the process, then (service
 * only) the executable name. `None` when no service can be named.
 */
export const resolveProcessIdentity = (facts: ProcessFacts): Option.Option<ProcessIdentity> => {
  const t = facts.tracer
  const fromTracer = nonEmpty(t?.service_name)
  const fromEnv = nonEmpty(facts.env?.DD_SERVICE)
  const fromExe = exeName(facts.exe)
  const service = fromTracer ?? fromEnv ?? fromExe
  if (service === undefined) return Option.none()
  return Option.some({
    service,
    serviceSource: fromTracer !== undefined ? "tracer" : fromEnv !== undefined ? "environment" : "executable",
    env: nonEmpty(t?.service_env) ?? nonEmpty(facts.env?.DD_ENV),
    version: nonEmpty(t?.service_version) ?? nonEmpty(facts.env?.DD_VERSION),
    hostname: nonEmpty(t?.hostname) ?? nonEmpty(facts.host),
    processTags: splitProcessTags(t?.process_tags)
  })
}

/** `ddtags` of the upload for this identity (env and version; the agent adds host and container tags). */
export const ddtagsOf = (id: ProcessIdentity): string =>
  [id.env === undefined ? undefined : `env:${id.env}`, id.version === undefined ? undefined : `version:${id.version}`]
    .filter((t): t is string => t !== undefined)
    .join(",")

const optString = Schema.optional(Schema.String)

/** A file of known processes: `{ "<pid>": { tracer?, env?, exe?, host? } }` (docs/capture-events.md). */
export const ProcessFactsFile = Schema.Record({
  key: Schema.String.pipe(Schema.pattern(/^[1-9][0-9]*$/, { message: () => "keys are process ids" })),
  value: Schema.Struct({
    tracer: Schema.optional(Schema.Struct({
      service_name: optString,
      service_env: optString,
      service_version: optString,
      hostname: optString,
      process_tags: optString
    })),
    env: Schema.optional(Schema.Struct({ DD_SERVICE: optString, DD_ENV: optString, DD_VERSION: optString })),
    exe: optString,
    host: optString
  })
})
export type ProcessFactsFile = typeof ProcessFactsFile.Type
