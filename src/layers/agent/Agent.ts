/**
 * The composed agent as one layer: the status endpoint first (so it answers while the components stop), then
 * the enabled components — logs, process resolver, snapshot pipeline — each a layer whose finalizer is its
 * orderly stop. Enabling or disabling a component is layer composition. Launch it with `Layer.launch` under
 * `NodeRuntime.runMain`: SIGINT/SIGTERM interrupt it, the layers' finalizers stop everything in order within
 * their deadlines, and `AgentComponents.outcomes` then decides the exit status (`exitCodeOf`).
 */
import * as Fs from "node:fs"
import { Clock, Console, Context, Data, Duration, Effect, Layer, Metric, Option, Schedule } from "effect"
import { type AgentSettings, defaultStateDir } from "../../services/config/AgentSettings.js"
import * as LogsMetrics from "../../services/logs/metrics.js"
import * as ProcessResolverLayer from "../process/ProcessResolverLayer.js"
import { serveStatus } from "../status/StatusServer.js"
import { AgentComponents } from "./AgentComponents.js"
import * as LiveCapture from "./LiveCaptureComponent.js"
import * as Logs from "./LogsComponent.js"
import * as Process from "./ProcessComponent.js"
import * as Snapshot from "./SnapshotComponent.js"

export interface AgentOptions {
  /** Print a live summary line on stderr every few seconds (the CLI turns it on for a terminal). */
  readonly liveSummary: boolean
}

export class StateDirError extends Data.TaggedError("StateDirError")<{ readonly path: string; readonly message: string }> {}

/** The status endpoint's address, when it is enabled. */
export class StatusEndpoint extends Context.Tag("dd-agent-effect/StatusEndpoint")<StatusEndpoint, { readonly address: string }>() {}

const secretFree = (s: AgentSettings) => ({
  hostname: s.hostname,
  api_key: s.apiKey === undefined ? "unset" : "set (redacted)",
  logs: s.logs.enabled ? { endpoint: s.logs.endpoint ?? "embedded", inputs: s.logs.inputs.length } : "disabled",
  process: s.process.enabled ? { interval_ms: s.process.intervalMs } : "disabled",
  dynamic_instrumentation: s.debugger.enabled ? { endpoint: s.debugger.endpoint } : "disabled"
})

const layerStatus = (settings: AgentSettings) =>
  Layer.scoped(
    StatusEndpoint,
    Effect.gen(function*() {
      const components = yield* AgentComponents
      const startedAt = yield* Clock.currentTimeMillis
      const status = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        return {
          agent: { started_at: new Date(startedAt).toISOString(), uptime_s: Math.round((now - startedAt) / 1000), config: secretFree(settings) },
          ...(yield* components.statuses)
        }
      })
      return { address: (yield* serveStatus(settings.status.where, status, settings.status.authToken)).address }
    })
  )

const layerLiveSummary = Layer.scopedDiscard(Effect.gen(function*() {
  const components = yield* AgentComponents
  const previous = { acked: 0, at: yield* Clock.currentTimeMillis }
  const line = Effect.gen(function*() {
    const logs = (yield* components.statuses).logs as Partial<Logs.LogsStatus>
    const now = yield* Clock.currentTimeMillis
    const raw = (yield* Metric.value(LogsMetrics.bytesUncompressed)).count
    const wire = (yield* Metric.value(LogsMetrics.bytesCompressed)).count
    const acked = logs.workers?.reduce((n, w) => n + w.logsAcked, 0) ?? 0
    const rate = Math.max(0, (acked - previous.acked) / Math.max(0.001, (now - previous.at) / 1000))
    previous.acked = acked
    previous.at = now
    const states = logs.workers?.map((w) => w.phase).join(",") ?? "-"
    yield* Console.error(
      `logs/s ${rate.toFixed(0)} | acked ${acked} | read ${logs.linesRead ?? 0} | wire ${(Number(wire) / 1e6).toFixed(2)} MB | ratio ${wire > 0 ? (Number(raw) / Number(wire)).toFixed(1) : "-"}x | stream ${states}`
    )
  })
  yield* line.pipe(Effect.repeat(Schedule.spaced(Duration.seconds(3))), Effect.delay(Duration.seconds(3)), Effect.interruptible, Effect.forkScoped)
}))

const layerStateDir = Layer.effectDiscard(Effect.try({
  try: () => Fs.mkdirSync(defaultStateDir, { recursive: true }),
  catch: (e) => new StateDirError({ path: defaultStateDir, message: `cannot create ${defaultStateDir}: ${(e as Error).message}` })
}))

/**
 * The agent's components per the settings. The process resolver serves process events and snapshot
 * identities: it runs (with its watcher) when the process component is enabled, and without a watcher when
 * only the snapshot pipeline needs it.
 */
const layerComponents = (settings: AgentSettings) => {
  const logs = settings.logs.enabled ? Logs.layer(settings) : Layer.empty
  const snapshot = Snapshot.layer(settings.debugger, defaultStateDir, settings.hostname)
  const processAndSnapshot = settings.process.enabled
    ? (settings.debugger.enabled ? snapshot.pipe(Layer.provideMerge(Process.layer(settings.process))) : Process.layer(settings.process))
    : settings.debugger.enabled
    ? snapshot.pipe(Layer.provide(ProcessResolverLayer.layerLive({ watch: false, procRoot: settings.process.procRoot, readEnviron: settings.process.readEnviron })))
    : Layer.empty
  // Live probes watch for processes of their services with a resolver of their own (DD_SERVICE names them).
  const live = settings.debugger.enabled && settings.debugger.probes.length > 0
    ? LiveCapture.layer(settings.debugger.probes, settings.debugger, ProcessResolverLayer.layerLive({ procRoot: settings.process.procRoot, readEnviron: true }), settings.hostname)
    : Layer.empty
  return Layer.mergeAll(logs, processAndSnapshot, live)
}

/**
 * The composed agent; needs `AgentComponents` (the caller keeps it to read the outcomes after the teardown).
 * `onReady` runs once everything is up, with the status address and the embedded intake's output file.
 */
export const layer = (
  settings: AgentSettings,
  options: AgentOptions & {
    readonly onReady?: (info: { readonly status: string | undefined; readonly intakeOutput: string | undefined }) => Effect.Effect<void>
  }
) => {
  const components = layerComponents(settings)
  const withStatus = settings.status.enabled ? components.pipe(Layer.provideMerge(layerStatus(settings))) : components
  const withSummary = options.liveSummary ? Layer.merge(withStatus, layerLiveSummary) : withStatus
  const onReady = options.onReady
  const ready = onReady === undefined ? withSummary : Layer.effectDiscard(Effect.gen(function*() {
    const logs = yield* Effect.serviceOption(Logs.LogsComponent)
    const status = yield* Effect.serviceOption(StatusEndpoint)
    const intakeOutput = Option.isSome(logs) ? (yield* logs.value.status).embeddedIntake?.output : undefined
    yield* onReady({ status: Option.getOrUndefined(Option.map(status, (s) => s.address)), intakeOutput })
  })).pipe(Layer.provideMerge(withSummary))
  return ready.pipe(Layer.provide(layerStateDir))
}
