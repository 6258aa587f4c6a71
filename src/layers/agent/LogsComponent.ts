/**
 * The agent's logs pipeline: inputs (files with the offset registry, stdin, TCP) → sender (stateful stream
 * workers) → an intake, either the configured endpoint or the embedded reference intake on loopback.
 * `stop` ends the inputs, then shuts the sender down (flush, send, wait for acks up to its deadline), so the
 * registry records exactly what was acknowledged; the scope then closes the rest in reverse order.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Context, Deferred, Effect, FiberSet, Layer, Redacted, Ref } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"
import type { InputLine, LineSink } from "../../services/inputs/InputLine.js"
import type { LogMessage } from "../../services/logs/LogMessage.js"
import { LogsSender, type SendReport } from "../../services/logs/Sender.js"
import { makeSenderConfig } from "../../services/logs/SenderConfig.js"
import { SenderConfigError } from "../../services/logs/senderErrors.js"
import type { WorkerStatus } from "../../services/logs/StreamWorker.js"
import { runFileInput } from "../inputs/FileTailer.js"
import { layerRegistryStore, RegistryStore } from "../inputs/RegistryStore.js"
import { type InputListenError, pumpReadable, serveTcpInput } from "../inputs/StreamInputs.js"
import { layerFile } from "../logs/IntakeOutputLive.js"
import { makeIntakeServer } from "../logs/IntakeServer.js"
import { layerSenderGrpc } from "../logs/SenderLive.js"

export interface LogsStatus {
  readonly state: "running" | "stopping" | "stopped"
  readonly endpoint: string
  readonly embeddedIntake: { readonly port: number; readonly output: string } | undefined
  readonly inputs: ReadonlyArray<{ readonly type: string; readonly target: string }>
  readonly linesRead: number
  readonly workers: ReadonlyArray<WorkerStatus>
  readonly report: SendReport | undefined
}

export interface LogsComponent {
  readonly status: Effect.Effect<LogsStatus>
  /** Stops the inputs and shuts the sender down; returns what was and was not acknowledged. */
  readonly stop: Effect.Effect<SendReport>
}

const toMessage = (line: InputLine, globalTags: ReadonlyArray<string>): LogMessage => ({
  content: line.text,
  timestamp: line.timestamp,
  tags: globalTags.length === 0 ? line.tags : [...line.tags, ...globalTags],
  onDone: line.onAck === undefined ? undefined : () => line.onAck!()
})

export const makeLogsComponent = (settings: AgentSettings) =>
  Effect.gen(function*() {
    const s = settings.logs
    const config = makeSenderConfig(s.sender)
    if (config instanceof SenderConfigError) return yield* config

    // The embedded default: a reference intake in this process, on loopback, with a key of this run.
    let embedded: LogsStatus["embeddedIntake"]
    let endpoint = s.endpoint
    let insecure = s.insecure
    let apiKey = settings.apiKey
    if (endpoint === undefined) {
      apiKey = apiKey ?? Redacted.make(Crypto.randomBytes(16).toString("hex"))
      Fs.mkdirSync(Path.dirname(Path.resolve(s.embeddedIntakeOutput)), { recursive: true })
      // Built in this scope (not provided locally, which would close the file as soon as the server is up).
      const output = yield* Layer.build(layerFile(s.embeddedIntakeOutput))
      const intake = yield* makeIntakeServer({ host: "127.0.0.1", port: 0, apiKey }).pipe(Effect.provide(output))
      embedded = { port: intake.port, output: s.embeddedIntakeOutput }
      endpoint = { host: "127.0.0.1", port: intake.port }
      insecure = true
    }
    if (apiKey === undefined) {
      return yield* new SenderConfigError({ setting: "api_key", message: "api_key (or DD_API_KEY) is required with logs_config.stream_endpoint" })
    }
    const ctx = yield* Layer.build(
      Layer.merge(
        layerSenderGrpc(config, { host: endpoint.host, port: endpoint.port, apiKey, insecure }),
        layerRegistryStore(s.registryPath)
      )
    )
    const sender = Context.get(ctx, LogsSender)
    const registry = Context.get(ctx, RegistryStore)
    const linesRead = yield* Ref.make(0)
    const state = yield* Ref.make<LogsStatus["state"]>("running")
    const report = yield* Ref.make<SendReport | undefined>(undefined)

    const sink: LineSink = (lines) =>
      Ref.update(linesRead, (n) => n + lines.length).pipe(
        Effect.zipRight(sender.send(lines.map((l) => toMessage(l, settings.tags)))),
        // Once the sender has stopped, nothing more is taken: the input ends here and its lines stay unacked.
        Effect.catchTag("SenderStopped", () => Effect.interrupt)
      )

    const inputs = yield* FiberSet.make()
    const described: Array<{ type: string; target: string }> = []
    for (const input of s.inputs) {
      switch (input.type) {
        case "file":
          described.push({ type: "file", target: input.path })
          yield* FiberSet.run(inputs, runFileInput({ ...input, startPosition: input.start_position }, sink).pipe(Effect.provide(ctx)))
          break
        case "stdin":
          described.push({ type: "stdin", target: "-" })
          yield* FiberSet.run(inputs, pumpReadable(process.stdin, input, sink))
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

    const stop = Effect.gen(function*() {
      const done = yield* Ref.get(report)
      if (done !== undefined) return done
      yield* Ref.set(state, "stopping")
      yield* FiberSet.clear(inputs)
      const r = yield* sender.shutdown
      yield* registry.flush.pipe(Effect.catchAll((e) => Effect.logError(e.message)))
      yield* Ref.set(report, r)
      yield* Ref.set(state, "stopped")
      return r
    })

    const status = Effect.gen(function*() {
      return {
        state: yield* Ref.get(state),
        endpoint: `${endpoint.host}:${endpoint.port}`,
        embeddedIntake: embedded,
        inputs: described,
        linesRead: yield* Ref.get(linesRead),
        workers: yield* sender.status,
        report: yield* Ref.get(report)
      } satisfies LogsStatus
    })
    return { status, stop } satisfies LogsComponent
  })
