/**
 * The agent's one configuration: datadog.yaml-style keys, decoded with Schema. Unknown keys are errors (a
 * typo must not silently fall back to a default). Secrets are Redacted.
 */
import { Schema } from "effect"
import { LiveProbeConfig } from "../debugger/live/ProbeConfig.js"
import { sensitiveWordProblem } from "../process/ArgsScrubber.js"
import { HostPort, isLoopback } from "./HostPort.js"

/** Seconds; at least a millisecond (every duration is used in whole milliseconds, and none may be zero). */
const Duration = Schema.Number.pipe(
  Schema.greaterThanOrEqualTo(0.001, { message: () => "expected a duration in seconds, at least 0.001" }),
  Schema.annotations({ description: "seconds" })
)
const Port = Schema.Int.pipe(Schema.between(0, 65535))
const FileBytes = Schema.Int.pipe(Schema.between(4096, 2 ** 40))
const KeepCount = Schema.Int.pipe(Schema.between(0, 100))
const Tags = Schema.Array(Schema.String.pipe(Schema.pattern(/^[^,]+$/, { message: () => "a tag may not contain ','" })))

/** One log input: a glob of files, standard input, or a TCP line listener. */
export const LogInput = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("file"),
    path: Schema.String.pipe(Schema.minLength(1)),
    service: Schema.optional(Schema.String),
    source: Schema.optional(Schema.String),
    tags: Schema.optional(Tags),
    /** Where to start a file the registry does not know: its end (default, like Datadog) or its beginning. */
    start_position: Schema.optional(Schema.Literal("end", "beginning"))
  }),
  Schema.Struct({
    type: Schema.Literal("stdin"),
    service: Schema.optional(Schema.String),
    source: Schema.optional(Schema.String),
    tags: Schema.optional(Tags)
  }),
  Schema.Struct({
    type: Schema.Literal("tcp"),
    port: Port,
    bind_host: Schema.optional(Schema.String),
    service: Schema.optional(Schema.String),
    source: Schema.optional(Schema.String),
    tags: Schema.optional(Tags)
  })
)
export type LogInput = typeof LogInput.Type

export const LogsConfig = Schema.Struct({
  /** HOST:PORT of a stateful-stream intake; absent: the embedded reference intake on loopback. */
  stream_endpoint: Schema.optional(HostPort),
  /** Plaintext gRPC (loopback or a trusted network). */
  insecure: Schema.optional(Schema.Boolean),
  /** PEM CA bundle the endpoint's certificate must chain to (default: the system roots). */
  tls_ca_file: Schema.optional(Schema.String),
  /** PEM client certificate and key, for an endpoint that requires one (both or neither). */
  tls_cert_file: Schema.optional(Schema.String),
  tls_key_file: Schema.optional(Schema.String),
  /** The name the endpoint's certificate carries, when it differs from the stream_endpoint host. */
  tls_server_name: Schema.optional(Schema.String),
  /** Only the stateful gRPC stream is implemented; the key exists for datadog.yaml compatibility. */
  transport: Schema.optional(Schema.Literal("grpc")),
  stream_lifetime: Schema.optional(Duration),
  compression: Schema.optional(Schema.Literal("zstd", "identity")),
  compression_level: Schema.optional(Schema.Int.pipe(Schema.between(1, 22))),
  /** Send logs as patterns plus typed values (off by default: see the README's wire-bytes table). */
  pattern_extraction: Schema.optional(Schema.Boolean),
  batch_max_entries: Schema.optional(Schema.Int.pipe(Schema.between(1, 100_000))),
  batch_max_content_size: Schema.optional(Schema.Int.pipe(Schema.between(1024, 64 * 1024 * 1024))),
  batch_wait: Schema.optional(Duration),
  workers: Schema.optional(Schema.Int.pipe(Schema.between(1, 64))),
  /** Seconds to wait for acknowledgements at shutdown. */
  shutdown_timeout: Schema.optional(Duration),
  /** The offset registry (JSON, written atomically). */
  registry_path: Schema.optional(Schema.String),
  /** Where the embedded intake writes reconstructed logs. */
  embedded_intake_output: Schema.optional(Schema.String),
  /** The embedded intake's output is rotated when it would grow past this many bytes. */
  embedded_intake_output_max_bytes: Schema.optional(FileBytes),
  /** Rotated files of the embedded intake's output kept (`FILE.1` … `FILE.N`). */
  embedded_intake_output_keep: Schema.optional(KeepCount)
}).pipe(Schema.filter((c) => {
  const tls = c.tls_ca_file ?? c.tls_cert_file ?? c.tls_key_file ?? c.tls_server_name
  if (tls !== undefined && c.insecure === true) return { path: ["insecure"], message: "the tls_* settings need TLS: remove insecure" }
  if ((c.tls_cert_file === undefined) !== (c.tls_key_file === undefined)) {
    return { path: [c.tls_cert_file === undefined ? "tls_key_file" : "tls_cert_file"], message: "a client certificate needs both tls_cert_file and tls_key_file" }
  }
  return true
}))

const SensitiveWord = Schema.String.pipe(Schema.filter((w) => {
  const problem = sensitiveWordProblem(w)
  return problem === undefined || `${JSON.stringify(w)}: ${problem}`
}))

export const ProcessConfig = Schema.Struct({
  enabled: Schema.optional(Schema.Boolean),
  /** Seconds between /proc scans. */
  interval: Schema.optional(Duration),
  proc_root: Schema.optional(Schema.String),
  read_environ: Schema.optional(Schema.Boolean),
  /** Process events as JSON lines. */
  events_file: Schema.optional(Schema.String),
  /** The events file is rotated when it would grow past this many bytes. */
  events_file_max_bytes: Schema.optional(FileBytes),
  /** Rotated events files kept (`FILE.1` … `FILE.N`). */
  events_file_keep: Schema.optional(KeepCount),
  /** Replace the values of sensitive arguments by `********` (default true). */
  scrub_args: Schema.optional(Schema.Boolean),
  /** Sensitive words added to the defaults (`*` wildcards allowed). */
  custom_sensitive_words: Schema.optional(Schema.Array(SensitiveWord))
})

export const DynamicInstrumentationConfig = Schema.Struct({
  enabled: Schema.optional(Schema.Boolean),
  /** A directory of capture-event JSON-lines files to encode and upload. */
  capture_dir: Schema.optional(Schema.String),
  /** Upload URL; default the local trace agent's debugger endpoint. */
  endpoint: Schema.optional(Schema.String),
  /** Gzip upload bodies (default false: agents and tracers send none). */
  gzip: Schema.optional(Schema.Boolean),
  /** Live probes on running Node.js processes, matched by service (see LiveProbeConfig). */
  probes: Schema.optional(Schema.Array(LiveProbeConfig))
})

export const StatusConfig = Schema.Struct({
  enabled: Schema.optional(Schema.Boolean),
  /** HOST:PORT for /status and /metrics; loopback unless `allow_non_loopback`. */
  listen: Schema.optional(HostPort),
  /** Alternatively a unix socket path. */
  socket: Schema.optional(Schema.String),
  /** Serve on a non-loopback address: whoever reaches it reads the agent's state, so `auth_token` is required. */
  allow_non_loopback: Schema.optional(Schema.Boolean),
  /** A token every request must present as `Authorization: Bearer TOKEN` (at least 16 characters). */
  auth_token: Schema.optional(Schema.Redacted(Schema.String.pipe(Schema.minLength(16))))
}).pipe(Schema.filter((s) => {
  if (s.listen === undefined || isLoopback(s.listen.host)) return true
  if (s.allow_non_loopback !== true) {
    return { path: ["listen"], message: `${s.listen.host} is not a loopback address: serving status there needs status.allow_non_loopback: true and status.auth_token` }
  }
  if (s.auth_token === undefined) return { path: ["allow_non_loopback"], message: "status.auth_token is required with status.allow_non_loopback" }
  return true
}))

/** Top-level keys whose values are secrets: a problem with them is reported without echoing the value. */
export const secretKeys: ReadonlySet<string> = new Set(["api_key", "status.auth_token"])

/**
 * `site` selects Datadog's public intakes, which this agent does not talk to: refused rather than ignored.
 * Logs go to `logs_config.stream_endpoint` (or the embedded intake), snapshots to `dynamic_instrumentation.endpoint`.
 */
const Site = Schema.String.pipe(Schema.filter(() =>
  "not supported: this agent does not ship to Datadog sites; set logs_config.stream_endpoint and dynamic_instrumentation.endpoint"
))

export const AgentConfigFile = Schema.Struct({
  api_key: Schema.optional(Schema.Redacted(Schema.String)),
  site: Schema.optional(Site),
  /** The host name of snapshots (when the tracer does not give one) and of the status; default the machine's. */
  hostname: Schema.optional(Schema.String),
  tags: Schema.optional(Tags),
  logs_enabled: Schema.optional(Schema.Boolean),
  logs_config: Schema.optional(LogsConfig),
  logs: Schema.optional(Schema.Array(LogInput)),
  process_config: Schema.optional(ProcessConfig),
  dynamic_instrumentation: Schema.optional(DynamicInstrumentationConfig),
  status: Schema.optional(StatusConfig),
  /** APM keys read by the trace loader (validated by the loader's own schema). */
  apm_config: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  bind_host: Schema.optional(Schema.String)
}).pipe(Schema.filter((c) =>
  c.logs_config?.stream_endpoint !== undefined && c.api_key === undefined && c.logs_enabled !== false
    ? { path: ["logs_config", "stream_endpoint"], message: "needs api_key (or DD_API_KEY)" }
    : true
))
export type AgentConfigFile = typeof AgentConfigFile.Type
