/**
 * JSON shapes of what this concern emits: the CWS-style process object (with its own `tracer`), process
 * events (watcher output, one JSON line each), security events (`process`, `process.parent`,
 * `process.ancestors`) and the `dd-agent processes` report. Absent means unknown or not published:
 * optional keys are omitted, never written as null or "".
 */
import { Schema } from "effect"
import { TracerMetadata } from "./TracerMetadata.js"
import { FieldIssue } from "./TracerMetadataCodec.js"

const Int = Schema.Int
const NonNegativeInt = Schema.NonNegativeInt

export const Credentials = Schema.Struct({
  uid: NonNegativeInt,
  euid: NonNegativeInt,
  gid: NonNegativeInt,
  egid: NonNegativeInt
}).annotations({ identifier: "Credentials" })

/** DD_SERVICE / DD_ENV / DD_VERSION read from the process environment (only when environ reading is on). */
export const UnifiedServiceTags = Schema.Struct({
  service: Schema.optionalWith(Schema.NonEmptyString, { exact: true }),
  env: Schema.optionalWith(Schema.NonEmptyString, { exact: true }),
  version: Schema.optionalWith(Schema.NonEmptyString, { exact: true })
}).annotations({ identifier: "UnifiedServiceTags" })

const processFields = {
  pid: NonNegativeInt,
  ppid: NonNegativeInt,
  /** Clock ticks after boot: with pid, the process identity. */
  start_time: NonNegativeInt,
  comm: Schema.String,
  executable: Schema.optionalWith(Schema.Struct({ path: Schema.String, name: Schema.String }), { exact: true }),
  args: Schema.Array(Schema.String),
  cwd: Schema.optionalWith(Schema.String, { exact: true }),
  credentials: Schema.optionalWith(Credentials, { exact: true }),
  container: Schema.optionalWith(Schema.Struct({ id: Schema.String }), { exact: true }),
  ust: Schema.optionalWith(UnifiedServiceTags, { exact: true }),
  /** The process's own tracer metadata, whole; omitted when it published none. */
  tracer: Schema.optionalWith(TracerMetadata, { exact: true }),
  /** Set when `tracer` comes from a memfd inherited from this parent pid at fork (not republished). */
  tracer_inherited_from: Schema.optionalWith(NonNegativeInt, { exact: true })
}

/** One process (CWS `ProcessSerializer` style). */
export const ProcessJson = Schema.Struct(processFields).annotations({ identifier: "Process" })
export type ProcessJson = typeof ProcessJson.Type

/** A process with its lineage; `ancestors` starts at the parent. */
export const ProcessContextJson = Schema.Struct({
  ...processFields,
  parent: Schema.optionalWith(ProcessJson, { exact: true }),
  ancestors: Schema.optionalWith(Schema.Array(ProcessJson), { exact: true })
}).annotations({ identifier: "ProcessContext" })
export type ProcessContextJson = typeof ProcessContextJson.Type

export const ProcessEventType = Schema.Literal("exec", "fork", "exit", "tracer_metadata_found")
export type ProcessEventType = typeof ProcessEventType.Type

/** A watcher event as one JSON line. */
export const ProcessEventJson = Schema.Struct({
  type: ProcessEventType,
  /** Epoch milliseconds when the watcher observed the change. */
  timestamp: Int,
  process: ProcessJson
}).annotations({ identifier: "ProcessEvent", title: "ProcessEvent" })
export type ProcessEventJson = typeof ProcessEventJson.Type

/** A CWS-style security event for a process change. */
export const SecurityEventJson = Schema.Struct({
  evt: Schema.Struct({ name: ProcessEventType, category: Schema.Literal("process") }),
  /** RFC 3339 timestamp. */
  date: Schema.String,
  process: ProcessContextJson
}).annotations({ identifier: "SecurityEvent", title: "SecurityEvent" })
export type SecurityEventJson = typeof SecurityEventJson.Type

/** The service identity of a process and which source each value came from. */
export const ServiceIdentityJson = Schema.Struct({
  service: Schema.String,
  service_source: Schema.Literal("tracer", "environment", "executable"),
  env: Schema.optionalWith(Schema.String, { exact: true }),
  version: Schema.optionalWith(Schema.String, { exact: true }),
  hostname: Schema.optionalWith(Schema.String, { exact: true }),
  process_tags: Schema.optionalWith(Schema.String, { exact: true })
}).annotations({ identifier: "ServiceIdentity" })

/** One line of `dd-agent processes --json`. */
export const ProcessReportJson = Schema.Struct({
  process: ProcessContextJson,
  identity: ServiceIdentityJson,
  /** `tags()` of the tracer metadata as `key:value`. */
  tracer_tags: Schema.Array(Schema.String),
  /** The network-event tag list (UST from the environment, then the tracer tags, deduplicated). */
  network_tags: Schema.Array(Schema.String),
  /** Fields of the payload dropped because of a wrong type. */
  tracer_issues: Schema.optionalWith(Schema.Array(FieldIssue), { exact: true }),
  /** Why no tracer metadata is shown (e.g. NoTracerMemfd, PermissionDenied). */
  tracer_status: Schema.optionalWith(Schema.String, { exact: true })
}).annotations({ identifier: "ProcessReport", title: "ProcessReport" })
export type ProcessReportJson = typeof ProcessReportJson.Type
