/**
 * The agent's logs pipeline as a layer: inputs (files with the offset registry, stdin, TCP) → sender (stateful
 * stream workers) → an intake, either the configured endpoint or the embedded reference intake on loopback.
 * The layer's finalizer is the orderly stop: it ends the inputs, then shuts the sender down (flush, send, wait
 * for acks up to its deadline), so the registry records exactly what was acknowledged, and records the
 * outcome; the sender, the registry and the embedded intake are then closed in reverse order of their start.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Context, Data, Deferred, Duration, Effect, FiberSet, Layer, Queue, Redacted, Ref, Stream } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"
import type { InputLine, LineSink } from "../../services/inputs/InputLine.js"
import type { LogMessage } from "../../services/logs/LogMessage.js"
import { LogsSender, type SenderStatus, type SendReport } from "../../services/logs/Sender.js"
import { decodeSenderConfig } from "../../services/logs/SenderConfig.js"
import { SenderConfigError } from "../../services/logs/errors.js"
import type { WorkerStatus } from "../../services/logs/StreamWorker.js"
import { runFileInput } from "../inputs/FileTailer.js"
import { layerRegistryStore, RegistryStore } from "../inputs/RegistryStore.js"
import { type InputListenError, pumpReadable, serveTcpInput } from "../inputs/StreamInputs.js"
import { layerRotatingFile } from "../logs/IntakeOutputRotating.js"
import { IntakeServer, layerIntakeServer } from "../logs/IntakeServer.js"
import { layerSenderGrpc } from "../logs/SenderLive.js"
import { readTlsFiles } from "../logs/TlsFiles.js"
import { AgentComponents } from "./AgentComponents.js"

export interface LogsStatus {
  /** `failed`: a stream worker gave up (fatal rejection or crash); its logs are not being delivered. */
  readonly state: "running" | "failed" | "stopping" | "stopped"
  readonly endpoint: string
  readonly embeddedIntake: { readonly port: number; readonly output: string } | undefined
  readonly inputs: ReadonlyArray<{ readonly type: string; readonly target: string }>
  readonly linesRead: number
  /** Lines read after the sender had stopped taking input (not delivered; read again after a restart). */
  readonly linesNotSent: number
  readonly workers: ReadonlyArray<WorkerStatus>
  readonly report: SendReport | undefined
}

export interface LogsComponentService {
  readonly status: Effect.Effect<LogsStatus>
}

export class LogsComponent extends Context.Tag("dd-agent-effect/LogsComponent")<LogsComponent, LogsComponentService>() {}

/** Where the sender ships: the configured intake, or the embedded one started for this run. */
export class LogsEndpoint extends Context.Tag("dd-agent-effect/LogsEndpoint")<LogsEndpoint, {
  readonly host: string
  readonly port: number
  readonly apiKey: Redacted.Redacted<string>
  readonly insecure: boolean
  readonly embedded: { readonly port: number; readonly output: string } | undefined
}>() {}

export class LogsOutputDirError extends Data.TaggedError("LogsOutputDirError")<{ readonly path: string; readonly message: string }> {}

const toMessage = (line: InputLine, globalTags: ReadonlyArray<string>): LogMessage => ({
  content: line.text,
  timestamp: line.timestamp,
  tags: globalTags.length === 0 ? line.tags : [...line.tags, ...globalTags]
})

/** The embedded default: a reference intake in this process, on loopback, with a key of this run. */
const layerEmbeddedEndpoint = (settings: AgentSettings) => {
  const output = settings.logs.embeddedIntakeOutput
  const apiKey = settings.apiKey ?? Redacted.make(Crypto.randomBytes(16).toString("hex"))
  const outputDir = Layer.effectDiscard(Effect.try({
    try: () => Fs.mkdirSync(Path.dirname(Path.resolve(output)), { recursive: true }),
    catch: (e) => new LogsOutputDirError({ path: output, message: `cannot create the directory of ${output}: ${(e as Error).message}` })
  }))
  return Layer.effect(
    LogsEndpoint,
    Effect.map(IntakeServer, (intake) => ({
      host: "127.0.0.1",
      port: intake.port,
      apiKey,
      insecure: true,
      embedded: { port: intake.port, output }
    }))
  ).pipe(
    Layer.provide(layerIntakeServer({ host: "127.0.0.1", port: 0, apiKey })),
    Layer.provide(layerRotatingFile({ path: output, maxBytes: settings.logs.embeddedIntakeOutputMaxBytes, keep: settings.logs.embeddedIntakeOutputKeep })),
    Layer.provide(outputDir)
  )
}

const layerEndpoint = (
  settings: AgentSettings
): Layer.Layer<LogsEndpoint, SenderConfigError | Layer.Layer.Error<ReturnType<typeof layerEmbeddedEndpoint>>> => {
  const s = settings.logs
  if (s.endpoint === undefined) return layerEmbeddedEndpoint(settings)
  if (settings.apiKey === undefined) {
    return Layer.fail(new SenderConfigError({ setting: "api_key", message: "api_key (or DD_API_KEY) is required with logs_config.stream_endpoint" }))
  }
  return Layer.succeed(LogsEndpoint, { ...s.endpoint, apiKey: settings.apiKey, insecure: s.insecure, embedded: undefined })
}

const layerSender = (settings: AgentSettings) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const config = yield* decodeSenderConfig(settings.logs.sender)
    const ep = yield* LogsEndpoint
    const tls = ep.insecure ? undefined : yield* readTlsFiles(settings.logs.tls)
    return layerSenderGrpc(config, { host: ep.host, port: ep.port, apiKey: ep.apiKey, insecure: ep.insecure, tls })
  }))

/** Slack past the shutdown timeout for the stop's own steps (closing inputs, saving the registry). */
const stopSlackMs = 5_000

/** Acknowledged and rejected logs so far, over every worker: the stop's progress. */
const progressOf = (workers: SenderStatus) => workers.reduce((n, w) => n + w.logsAcked + w.logsRejected + w.batchesAcked, 0)

/**
 * Completes once the sender's progress has not changed for `limit`: each change restarts the wait. Interruptible
 * (the timeout cuts a wait for the next change), also in a finalizer.
 */
const untilNoProgress = (sender: LogsSender["Type"], limit: Duration.Duration) =>
  sender.changes.pipe(Stream.map(progressOf), Stream.changes, Stream.timeout(limit), Stream.runDrain, Effect.interruptible)

const make = (settings: AgentSettings) =>
  Effect.gen(function*() {
    const s = settings.logs
    const components = yield* AgentComponents
    const endpoint = yield* LogsEndpoint
    const sender = yield* LogsSender
    const registry = yield* RegistryStore
    const linesRead = yield* Ref.make(0)
    const linesNotSent = yield* Ref.make(0)
    const state = yield* Ref.make<"running" | "stopping" | "stopped">("running")
    const report = yield* Ref.make<SendReport | undefined>(undefined)

    const sink: LineSink = (lines, position) =>
      Ref.update(linesRead, (n) => n + lines.length).pipe(
        Effect.zipRight(sender.send(lines.map((l) => toMessage(l, settings.tags)), position)),
        // Once the sender has stopped, nothing more is taken: the input ends here and its lines stay unacked.
        Effect.catchTag("SenderStopped", () => Ref.update(linesNotSent, (n) => n + lines.length).pipe(Effect.zipRight(Effect.interrupt)))
      )

    // Acknowledgements flow back as data: settled positions advance the offset registry, in this fiber.
    yield* Queue.takeBetween(sender.acknowledged, 1, 1024).pipe(
      Effect.flatMap((positions) => Effect.sync(() => registry.acknowledge(positions))),
      Effect.forever,
      Effect.interruptible,
      Effect.forkScoped
    )

    const inputs = yield* FiberSet.make()
    const described: Array<{ type: string; target: string }> = []
    for (const input of s.inputs) {
      switch (input.type) {
        case "file":
          described.push({ type: "file", target: input.path })
          yield* FiberSet.run(inputs, runFileInput({ ...input, startPosition: input.start_position }, sink).pipe(Effect.provideService(RegistryStore, registry)))
          break
        case "stdin":
          described.push({ type: "stdin", target: "-" })
          yield* FiberSet.run(inputs, pumpReadable(process.stdin, input, sink).pipe(Effect.catchAll((e) => Effect.logWarning(e.message))))
          break
        case "tcp": {
          // The listener lives in the inputs' FiberSet, so stopping the inputs closes it too.
          const host = input.bind_host ?? "127.0.0.1"
          const bound = yield* Deferred.make<number, InputListenError>()
          yield* FiberSet.run(
            inputs,
            serveTcpInput({ ...input, host, port: input.port }, sink).pipe(
              Effect.tap((port) => Deferred.succeed(bound, port)),
              Effect.zipRight(Effect.never),
              Effect.scoped,
              Effect.catchAll((e) => Deferred.fail(bound, e))
            )
          )
          const port = yield* Deferred.await(bound)
          described.push({ type: "tcp", target: `${host}:${port}` })
          break
        }
      }
    }

    const status = Effect.gen(function*() {
      const workers = yield* sender.status
      const own = yield* Ref.get(state)
      return {
        state: own === "running" && workers.some((w) => w.phase === "failed") ? "failed" : own,
        endpoint: `${endpoint.host}:${endpoint.port}`,
        embeddedIntake: endpoint.embedded,
        inputs: described,
        linesRead: yield* Ref.get(linesRead),
        linesNotSent: yield* Ref.get(linesNotSent),
        workers,
        report: yield* Ref.get(report)
      } satisfies LogsStatus
    })
    yield* components.register("logs", status)

    const stop = Effect.gen(function*() {
      yield* Ref.set(state, "stopping")
      yield* FiberSet.clear(inputs)
      const r = yield* sender.shutdown
      registry.acknowledge(yield* Queue.takeAll(sender.acknowledged))
      yield* registry.flush.pipe(Effect.catchAll((e) => Effect.logError(e.message)))
      yield* Ref.set(report, r)
      yield* Ref.set(state, "stopped")
      const notSent = yield* Ref.get(linesNotSent)
      // Delivered: nothing left unacknowledged, no worker gave up, nothing read that the sender refused.
      const complete = r.unacked === 0 && notSent === 0 && r.workers.every((w) => w.reason !== "failed")
      yield* Effect.logInfo("logs stopped").pipe(Effect.annotateLogs({ acked: r.acked, unacked: r.unacked, rejected: r.rejected, not_sent: notSent }))
      yield* components.finished("logs", { complete, summary: { ...r, complete: r.complete && complete, not_sent: notSent } })
    })
    // Bounded by progress, like the sender's own shutdown: the stop is cut only once no acknowledgement (nor
    // rejection) arrived for the shutdown timeout plus slack for closing the inputs and saving the registry, so a
    // slow but progressing intake gets everything. A stop that makes no progress is cut, the sender aborted, and
    // its unacknowledged logs reported. The wait is interruptible, so the bound holds in an interrupted fiber's
    // finalizer too.
    const quietLimit = Duration.millis((settings.logs.sender.machine?.shutdownTimeoutMs ?? 10_000) + stopSlackMs)
    yield* Effect.addFinalizer(() =>
      Effect.raceFirst(
        stop.pipe(Effect.interruptible, Effect.as(true)),
        untilNoProgress(sender, quietLimit).pipe(Effect.as(false))
      ).pipe(
        Effect.flatMap((done) =>
          done ? Effect.void : Effect.gen(function*() {
            const r = yield* sender.abort.pipe(Effect.timeoutOption(Duration.seconds(5)))
            yield* Effect.logError("logs did not stop in time: no acknowledgement for the shutdown timeout").pipe(
              Effect.annotateLogs(r._tag === "Some" ? { acked: r.value.acked, unacked: r.value.unacked } : {})
            )
            if (r._tag === "Some") yield* Ref.set(report, r.value)
            yield* components.finished("logs", {
              complete: false,
              summary: { ...(r._tag === "Some" ? r.value : {}), complete: false, message: "the orderly stop made no progress for the shutdown timeout" }
            })
          })
        )
      )
    )
    return { status } satisfies LogsComponentService
  })

/** The logs component over the sender, registry and endpoint it is given; needs `AgentComponents`. */
export const layerOver = (settings: AgentSettings) => Layer.scoped(LogsComponent, make(settings))

/** The logs component; needs `AgentComponents`. */
export const layer = (settings: AgentSettings) =>
  layerOver(settings).pipe(
    Layer.provide(Layer.merge(layerSender(settings), layerRegistryStore(settings.logs.registryPath))),
    Layer.provide(layerEndpoint(settings))
  )
