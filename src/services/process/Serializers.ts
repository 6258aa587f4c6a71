/**
 * Pure serializers: cache entries to CWS-style process JSON (each with its own `tracer` object), security
 * events with parent and ancestors, the network-event tag list and the service identity used by other
 * concerns (e.g. snapshot encoding needs service/env/version for a pid).
 */
import { Option } from "effect"
import type {
  ProcessContextJson,
  ProcessEventJson,
  ProcessJson,
  ProcessReportJson,
  SecurityEventJson
} from "./EventSchemas.js"
import type { ProcessEntry } from "./ProcessEntry.js"
import type { ProcessEvent } from "./ProcessEvent.js"
import { tags, tagStrings } from "./TracerMetadata.js"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const basename = (p: string): string => {
  const cut = p.replace(/ \(deleted\)$/, "")
  return cut.slice(cut.lastIndexOf("/") + 1)
}

/** One entry as a CWS-style process object. */
export const processJson = (e: ProcessEntry): ProcessJson => {
  const out: Mutable<ProcessJson> = {
    pid: e.key.pid,
    ppid: e.facts.ppid,
    start_time: e.key.startTime,
    comm: e.facts.comm,
    args: e.facts.cmdline
  }
  if (Option.isSome(e.facts.exe)) out.executable = { path: e.facts.exe.value, name: basename(e.facts.exe.value) }
  if (Option.isSome(e.facts.cwd)) out.cwd = e.facts.cwd.value
  if (Option.isSome(e.facts.credentials)) {
    const c = e.facts.credentials.value
    out.credentials = { uid: c.uid.real, euid: c.uid.effective, gid: c.gid.real, egid: c.gid.effective }
  }
  if (Option.isSome(e.facts.containerId)) out.container = { id: e.facts.containerId.value }
  if (Option.isSome(e.facts.env)) {
    const env = e.facts.env.value
    const ust: Mutable<NonNullable<ProcessJson["ust"]>> = {}
    if (env.DD_SERVICE) ust.service = env.DD_SERVICE
    if (env.DD_ENV) ust.env = env.DD_ENV
    if (env.DD_VERSION) ust.version = env.DD_VERSION
    if (Object.keys(ust).length > 0) out.ust = ust
  }
  if (Option.isSome(e.tracer)) out.tracer = e.tracer.value
  if (Option.isSome(e.provenance) && Option.isSome(e.provenance.value.inheritedFrom)) {
    out.tracer_inherited_from = e.provenance.value.inheritedFrom.value
  }
  return out
}

/** The entry with its lineage: `ancestors` (parent first) as known to the cache. */
export const processContextJson = (e: ProcessEntry, ancestors: ReadonlyArray<ProcessEntry>): ProcessContextJson => {
  const out: Mutable<ProcessContextJson> = { ...processJson(e) }
  const parent = ancestors[0]
  if (parent !== undefined) {
    out.parent = processJson(parent)
    out.ancestors = ancestors.map(processJson)
  }
  return out
}

/** The minimal process object of an event whose process could not be resolved. */
const observedJson = (ev: ProcessEvent): ProcessJson => ({
  pid: ev.key.pid,
  ppid: ev.ppid,
  start_time: ev.key.startTime,
  comm: ev.comm,
  args: []
})

export const processEventToJson = (ev: ProcessEvent): ProcessEventJson => ({
  type: ev.type,
  timestamp: ev.timestamp,
  process: Option.match(ev.entry, { onNone: () => observedJson(ev), onSome: processJson })
})

/** A CWS-style security event: `process` with its own `tracer`, `process.parent`, `process.ancestors`. */
export const securityEvent = (ev: ProcessEvent, ancestors: ReadonlyArray<ProcessEntry>): SecurityEventJson => ({
  evt: { name: ev.type, category: "process" },
  date: new Date(ev.timestamp).toISOString(),
  process: Option.match(ev.entry, {
    onNone: () => observedJson(ev),
    onSome: (e) => processContextJson(e, ancestors)
  })
})

/**
 * Tags for network events: `service:`/`env:`/`version:` from DD_SERVICE/DD_ENV/DD_VERSION, then every
 * tracer `tags()` pair as `key:value`; exact duplicates are dropped (first occurrence kept). Both
 * `service:x` and `tracer_service_name:x` are kept: they are different keys with different provenance.
 */
export const networkTags = (e: ProcessEntry): ReadonlyArray<string> => {
  const seen = new Set<string>()
  const push = (t: string) => void seen.add(t)
  if (Option.isSome(e.facts.env)) {
    const env = e.facts.env.value
    if (env.DD_SERVICE) push(`service:${env.DD_SERVICE}`)
    if (env.DD_ENV) push(`env:${env.DD_ENV}`)
    if (env.DD_VERSION) push(`version:${env.DD_VERSION}`)
  }
  if (Option.isSome(e.tracer)) for (const [k, v] of tags(e.tracer.value)) push(`${k}:${v}`)
  return [...seen]
}

/** Service identity for a process and where it came from. */
export interface ServiceIdentity {
  readonly service: string
  readonly serviceSource: "tracer" | "environment" | "executable"
  readonly env: Option.Option<string>
  readonly version: Option.Option<string>
  readonly hostname: Option.Option<string>
  readonly processTags: Option.Option<string>
}

const nonEmpty = (s: string | undefined): Option.Option<string> =>
  s === undefined || s.length === 0 ? Option.none() : Option.some(s)

/**
 * Service, env and version from the tracer metadata, else from DD_SERVICE/DD_ENV/DD_VERSION (when the
 * environment was read), else the executable's name (then the command name); hostname and process tags
 * from the tracer only.
 */
export const serviceIdentity = (e: ProcessEntry): ServiceIdentity => {
  const t = Option.getOrUndefined(e.tracer)
  const env = Option.getOrUndefined(e.facts.env)
  const fromTracer = nonEmpty(t?.service_name)
  const fromEnv = nonEmpty(env?.DD_SERVICE)
  const [service, serviceSource] = Option.isSome(fromTracer)
    ? [fromTracer.value, "tracer" as const]
    : Option.isSome(fromEnv)
    ? [fromEnv.value, "environment" as const]
    : [Option.match(e.facts.exe, { onNone: () => e.facts.comm, onSome: basename }), "executable" as const]
  return {
    service,
    serviceSource,
    env: Option.orElse(nonEmpty(t?.service_env), () => nonEmpty(env?.DD_ENV)),
    version: Option.orElse(nonEmpty(t?.service_version), () => nonEmpty(env?.DD_VERSION)),
    hostname: nonEmpty(t?.hostname),
    processTags: nonEmpty(t?.process_tags)
  }
}

/** One `dd-agent processes --json` line. `tracerStatus` explains an absent tracer (error tag). */
export const processReport = (
  e: ProcessEntry,
  ancestors: ReadonlyArray<ProcessEntry>
): ProcessReportJson => {
  const id = serviceIdentity(e)
  const identity: Mutable<ProcessReportJson["identity"]> = { service: id.service, service_source: id.serviceSource }
  if (Option.isSome(id.env)) identity.env = id.env.value
  if (Option.isSome(id.version)) identity.version = id.version.value
  if (Option.isSome(id.hostname)) identity.hostname = id.hostname.value
  if (Option.isSome(id.processTags)) identity.process_tags = id.processTags.value
  const out: Mutable<ProcessReportJson> = {
    process: processContextJson(e, ancestors),
    identity,
    tracer_tags: Option.match(e.tracer, { onNone: () => [], onSome: tagStrings }),
    network_tags: networkTags(e)
  }
  if (Option.isSome(e.provenance) && e.provenance.value.issues.length > 0) out.tracer_issues = e.provenance.value.issues
  if (Option.isNone(e.tracer) && Option.isSome(e.retry)) out.tracer_status = e.retry.value.lastError
  return out
}
