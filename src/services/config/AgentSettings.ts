/**
 * The agent's effective settings: the decoded configuration with every default applied, in the shapes the
 * components take. Pure; `config check` prints it (secrets masked).
 */
import * as Os from "node:os"
import type { Redacted } from "effect"
import type { SenderConfigInput } from "../logs/SenderConfig.js"
import type { AgentConfigFile, LogInput } from "./AgentConfig.js"
import { type ConfiguredProbe, configuredProbes } from "../debugger/live/ProbeConfig.js"

export interface Endpoint {
  readonly host: string
  readonly port: number
}

export interface AgentSettings {
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly hostname: string
  /** Tags added to every log. */
  readonly tags: ReadonlyArray<string>
  readonly logs: {
    readonly enabled: boolean
    /** `undefined`: start the embedded reference intake on loopback. */
    readonly endpoint: Endpoint | undefined
    readonly insecure: boolean
    /** TLS files and server name for the endpoint (paths; read when the sender starts). */
    readonly tls: { readonly caFile?: string | undefined; readonly certFile?: string | undefined; readonly keyFile?: string | undefined; readonly serverName?: string | undefined }
    readonly sender: SenderConfigInput
    readonly registryPath: string
    readonly embeddedIntakeOutput: string
    readonly embeddedIntakeOutputMaxBytes: number
    readonly embeddedIntakeOutputKeep: number
    readonly inputs: ReadonlyArray<LogInput>
  }
  readonly process: {
    readonly enabled: boolean
    readonly intervalMs: number
    readonly procRoot: string
    readonly readEnviron: boolean
    /** Process events as JSON lines; none: events are only counted. */
    readonly eventsFile: string | undefined
    readonly eventsFileMaxBytes: number
    readonly eventsFileKeep: number
    /** Command-line scrubbing: off, or on with these words added to the defaults. */
    readonly scrubArgs: { readonly customSensitiveWords: ReadonlyArray<string> } | undefined
  }
  readonly debugger: {
    readonly enabled: boolean
    readonly captureDir: string | undefined
    readonly endpoint: string
    readonly gzip: boolean
    readonly probes: ReadonlyArray<ConfiguredProbe>
  }
  readonly status: {
    readonly enabled: boolean
    readonly where: { readonly host: string; readonly port: number } | { readonly socket: string }
    /** Requests must present it as a bearer token (required off loopback). */
    readonly authToken: Redacted.Redacted<string> | undefined
  }
}

export const defaultStatusPort = 5012
export const defaultStateDir = ".dd-agent"

const seconds = (s: number | undefined): number | undefined => (s === undefined ? undefined : Math.round(s * 1000))

export const resolveSettings = (c: AgentConfigFile): AgentSettings => {
  const lc = c.logs_config ?? {}
  const sender: { -readonly [K in keyof SenderConfigInput]: SenderConfigInput[K] } = {}
  if (lc.workers !== undefined) sender.workers = lc.workers
  if (lc.compression !== undefined) sender.encoding = lc.compression
  if (lc.compression_level !== undefined) sender.compressionLevel = lc.compression_level
  if (lc.pattern_extraction !== undefined) sender.patternExtraction = lc.pattern_extraction
  if (lc.batch_max_entries !== undefined) sender.batchMaxEntries = lc.batch_max_entries
  if (lc.batch_max_content_size !== undefined) sender.batchMaxContentBytes = lc.batch_max_content_size
  if (lc.batch_wait !== undefined) sender.batchMaxWaitMs = seconds(lc.batch_wait)!
  const machine: Record<string, number> = {}
  if (lc.stream_lifetime !== undefined) machine["streamLifetimeMs"] = seconds(lc.stream_lifetime)!
  if (lc.shutdown_timeout !== undefined) machine["shutdownTimeoutMs"] = seconds(lc.shutdown_timeout)!
  if (Object.keys(machine).length > 0) sender.machine = machine
  const dir = defaultStateDir
  const st = c.status ?? {}
  const pc = c.process_config ?? {}
  const di = c.dynamic_instrumentation ?? {}
  return {
    apiKey: c.api_key,
    hostname: c.hostname ?? Os.hostname(),
    tags: c.tags ?? [],
    logs: {
      enabled: c.logs_enabled ?? true,
      endpoint: lc.stream_endpoint,
      insecure: lc.insecure ?? false,
      tls: { caFile: lc.tls_ca_file, certFile: lc.tls_cert_file, keyFile: lc.tls_key_file, serverName: lc.tls_server_name },
      sender,
      registryPath: lc.registry_path ?? `${dir}/registry.json`,
      embeddedIntakeOutput: lc.embedded_intake_output ?? `${dir}/intake.jsonl`,
      embeddedIntakeOutputMaxBytes: lc.embedded_intake_output_max_bytes ?? 100 * 1024 * 1024,
      embeddedIntakeOutputKeep: lc.embedded_intake_output_keep ?? 3,
      inputs: c.logs ?? []
    },
    process: {
      enabled: pc.enabled ?? true,
      intervalMs: seconds(pc.interval) ?? 1000,
      procRoot: pc.proc_root ?? "/proc",
      readEnviron: pc.read_environ ?? false,
      eventsFile: pc.events_file,
      eventsFileMaxBytes: pc.events_file_max_bytes ?? 10 * 1024 * 1024,
      eventsFileKeep: pc.events_file_keep ?? 3,
      scrubArgs: pc.scrub_args === false ? undefined : { customSensitiveWords: pc.custom_sensitive_words ?? [] }
    },
    debugger: {
      enabled: di.enabled ?? false,
      captureDir: di.capture_dir,
      endpoint: di.endpoint ?? "http://127.0.0.1:8126/debugger/v2/input",
      gzip: di.gzip ?? false,
      probes: configuredProbes(di.probes ?? [])
    },
    status: {
      enabled: st.enabled ?? true,
      where: st.socket !== undefined ? { socket: st.socket } : st.listen !== undefined ? st.listen : { host: "127.0.0.1", port: defaultStatusPort },
      authToken: st.auth_token
    }
  }
}
