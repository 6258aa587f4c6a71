/**
 * The composed agent: logs pipeline, process resolver, snapshot pipeline and status endpoint, built in one
 * scope from the effective settings. It runs until SIGINT/SIGTERM, then stops the inputs, flushes the sender
 * within its deadline, persists the registry and closes every scope; a second signal exits at once. The
 * result says whether anything was left unacknowledged.
 */
import * as Fs from "node:fs"
import { Clock, Console, Context, Duration, Effect, Layer, Metric, Option, Queue, Schedule } from "effect"
import { type AgentSettings, defaultStateDir } from "../../services/config/AgentSettings.js"
import * as LogsMetrics from "../../services/logs/metrics.js"
import type { SendReport } from "../../services/logs/Sender.js"
import type { ProcessResolver } from "../../services/process/ProcessResolver.js"
import { processSignals } from "../ProcessSignals.js"
import * as ProcessResolverLayer from "../process/ProcessResolverLayer.js"
import { serveStatus } from "../status/StatusServer.js"
import { type LogsStatus, makeLogsComponent } from "./LogsComponent.js"
import { makeProcessComponent, type ProcessStatus } from "./ProcessComponent.js"
import { makeSnapshotComponent, type SnapshotStatus } from "./SnapshotComponent.js"

export interface AgentOutcome {
  readonly logs: SendReport | undefined
  /** 0 when every log read was acknowledged; 3 when some were not. */
  readonly exitCode: number
}

export interface AgentOptions {
  /** Print a live summary line on stderr every few seconds (the CLI turns it on for a terminal). */
  readonly liveSummary: boolean
  /** Called once everything is up, with the status endpoint's address (tests and the CLI's banner). */
  readonly onReady?: ((info: { readonly status: string | undefined; readonly intakeOutput: string | undefined }) => Effect.Effect<void>) | undefined
}

const secretFree = (s: AgentSettings) => ({
  hostname: s.hostname,
  api_key: s.apiKey === undefined ? "unset" : "set (redacted)",
  logs: s.logs.enabled ? { endpoint: s.logs.endpoint ?? "embedded", inputs: s.logs.inputs.length } : "disabled",
  process: s.process.enabled ? { interval_ms: s.process.intervalMs } : "disabled",
  dynamic_instrumentation: s.debugger.enabled ? { endpoint: s.debugger.endpoint } : "disabled"
})

const summaryLine = (logs: LogsStatus | undefined, previous: { acked: number; at: number }, now: number) =>
  Effect.gen(function*() {
    const raw = (yield* Metric.value(LogsMetrics.bytesUncompressed)).count
    const wire = (yield* Metric.value(LogsMetrics.bytesCompressed)).count
    const acked = logs?.workers.reduce((n, w) => n + w.logsAcked, 0) ?? 0
    const rate = Math.max(0, (acked - previous.acked) / Math.max(0.001, (now - previous.at) / 1000))
    previous.acked = acked
    previous.at = now
    const states = logs?.workers.map((w) => w.phase).join(",") ?? "-"
    return `logs/s ${rate.toFixed(0)} | acked ${acked} | read ${logs?.linesRead ?? 0} | wire ${(Number(wire) / 1e6).toFixed(2)} MB | ratio ${wire > 0 ? (Number(raw) / Number(wire)).toFixed(1) : "-"}x | stream ${states}`
  })

export const runAgent = (settings: AgentSettings, options: AgentOptions) =>
  Effect.gen(function*() {
    Fs.mkdirSync(defaultStateDir, { recursive: true })
    const startedAt = yield* Clock.currentTimeMillis
    const signals = yield* processSignals(["SIGINT", "SIGTERM"])

    // The resolver serves process events and snapshot identities; it runs when either needs it.
    let processStatus: Effect.Effect<ProcessStatus> | undefined
    let resolver: Context.Context<ProcessResolver> | undefined
    if (settings.process.enabled) {
      const p = yield* makeProcessComponent(settings.process)
      processStatus = p.status
      resolver = p.resolverContext
    } else if (settings.debugger.enabled) {
      resolver = yield* Layer.build(ProcessResolverLayer.layerLive({ watch: false, procRoot: settings.process.procRoot, readEnviron: settings.process.readEnviron }))
    }
    const logs = settings.logs.enabled ? yield* makeLogsComponent(settings) : undefined
    const snapshots = settings.debugger.enabled && resolver !== undefined
      ? yield* makeSnapshotComponent(settings.debugger, defaultStateDir, resolver)
      : undefined

    const status = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return {
        agent: { started_at: new Date(startedAt).toISOString(), uptime_s: Math.round((now - startedAt) / 1000), config: secretFree(settings) },
        logs: logs === undefined ? { state: "disabled" } : yield* logs.status,
        process: processStatus === undefined ? { state: "disabled" } : { state: "running", ...(yield* processStatus) },
        dynamic_instrumentation: snapshots === undefined ? { state: "disabled" } : { state: "running", ...(yield* snapshots.status) as SnapshotStatus }
      }
    })
    const endpoint = settings.status.enabled ? yield* serveStatus(settings.status.where, status) : undefined

    if (options.liveSummary) {
      const prev = { acked: 0, at: startedAt }
      yield* Effect.gen(function*() {
        const line = yield* summaryLine(logs === undefined ? undefined : yield* logs.status, prev, yield* Clock.currentTimeMillis)
        yield* Console.error(line)
      }).pipe(Effect.repeat(Schedule.spaced(Duration.seconds(3))), Effect.delay(Duration.seconds(3)), Effect.interruptible, Effect.forkScoped)
    }
    if (options.onReady !== undefined) {
      yield* options.onReady({ status: endpoint?.address, intakeOutput: logs === undefined ? undefined : (yield* logs.status).embeddedIntake?.output })
    }

    const first = yield* Queue.take(signals)
    yield* Effect.logInfo("stopping").pipe(Effect.annotateLogs({ signal: first }))
    // A second signal does not wait for the orderly shutdown.
    yield* Queue.take(signals).pipe(
      Effect.flatMap((second) => Effect.sync(() => process.exit(second === "SIGINT" ? 130 : 143))),
      Effect.interruptible,
      Effect.forkScoped
    )
    const report = logs === undefined ? undefined : yield* logs.stop
    if (report !== undefined) {
      yield* Effect.logInfo("logs stopped").pipe(
        Effect.annotateLogs({ acked: report.acked, unacked: report.unacked, rejected: report.rejected })
      )
    }
    const complete = Option.fromNullable(report).pipe(Option.map((r) => r.unacked === 0), Option.getOrElse(() => true))
    return { logs: report, exitCode: complete ? 0 : 3 } satisfies AgentOutcome
  }).pipe(Effect.scoped)
