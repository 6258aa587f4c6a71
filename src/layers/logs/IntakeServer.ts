/**
 * The reference intake as a scoped grpc-js server: one fiber per stream (in a FiberSet owned by the server's
 * scope) reads batches pull-based, applies the pure `IntakeStream` decision, writes the logs to
 * `IntakeOutput` and only then acknowledges. Closing the scope stops accepting streams, lets each stream
 * finish the batch in hand and send its pending acks, ends it with UNAVAILABLE, then shuts the server down.
 */
import * as grpc from "@grpc/grpc-js"
import { NodeStream } from "@effect/platform-node"
import {
  Context,
  Data,
  Deferred,
  Duration,
  Effect,
  Fiber,
  FiberId,
  FiberSet,
  Layer,
  Metric,
  Option,
  Queue,
  Redacted,
  Ref,
  Stream
} from "effect"
import { type ContentEncoding, parseContentEncoding } from "../../services/logs/ContentEncoding.js"
import { PayloadError } from "../../services/logs/errors.js"
import { type IntakeOptions, intakeDefaults, type IntakeStats } from "../../services/logs/IntakeOptions.js"
import { IntakeOutput } from "../../services/logs/IntakeOutput.js"
import { FaultBudget, IntakeStream } from "../../services/logs/IntakeStream.js"
import {
  batchStatusOk,
  MetadataKeys,
  type StatefulBatchMessage,
  statefulLogsServiceDefinition
} from "./grpcDefinition.js"

export class IntakeBindError extends Data.TaggedError("IntakeBindError")<{
  readonly address: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** A running intake: its bound port and live counters. */
export class IntakeServer extends Context.Tag("dd-agent-effect/logs/IntakeServer")<IntakeServer, {
  readonly port: number
  readonly stats: Effect.Effect<IntakeStats>
}>() {}

const streamsTotal = Metric.counter("dd_agent_intake_streams_total", { description: "streams accepted by the intake" })
const batchesTotal = Metric.counter("dd_agent_intake_batches_total", { description: "batches decoded and written" })
const logsTotal = Metric.counter("dd_agent_intake_logs_total", { description: "logs reconstructed" })
const streamErrors = Metric.counter("dd_agent_intake_stream_errors_total", { description: "streams ended with an error" })
const compressedBytes = Metric.counter("dd_agent_intake_payload_bytes_total", { description: "batch payload bytes received" })

/** An ack waiting to be sent, or the end of the stream. */
type Outgoing =
  | { readonly _tag: "Ack"; readonly batchId: number; readonly due: number }
  | { readonly _tag: "End"; readonly status: grpc.StatusObject | undefined; readonly due: number }

const status = (code: grpc.status, details: string): grpc.StatusObject => ({
  code,
  details,
  metadata: new grpc.Metadata()
})

const unavailableShuttingDown = status(grpc.status.UNAVAILABLE, "intake is shutting down")

/** Builds a running intake in the current scope. */
export const makeIntakeServer = (options: IntakeOptions) =>
  Effect.gen(function*() {
    const output = yield* IntakeOutput
    const maxPayloadBytes = options.maxPayloadBytes ?? intakeDefaults.maxPayloadBytes
    const budget = new FaultBudget(options.faults ?? {})
    const ackDelay = options.faults?.ackDelayMs ?? 0
    const counters = yield* Ref.make({ streams: 0, activeStreams: 0, batches: 0, logs: 0, errors: 0 })
    let closing = false
    let nextStreamId = 1

    const server = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new grpc.Server({
          // Room for an oversized payload to reach the codec's own check and typed error.
          "grpc.max_receive_message_length": maxPayloadBytes + 1024 * 1024
        })
      ),
      // Bounded by a plain timer: a release also runs inside an interrupted fiber, where an interruptible
      // timeout would be cut short at once.
      (s) =>
        Effect.async<void>((resume) => {
          const timer = setTimeout(() => {
            s.forceShutdown()
            resume(Effect.void)
          }, 5_000)
          s.tryShutdown(() => {
            clearTimeout(timer)
            resume(Effect.void)
          })
        })
    )
    // Registered after the server, so closed before it: every stream ends before the server shuts down.
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()

    /** One stream: pull batches, decide, write, ack in order; end with the status the decisions lead to. */
    const handleStream = (
      call: grpc.ServerDuplexStream<StatefulBatchMessage, unknown>,
      streamId: number,
      encoding: ContentEncoding
    ) =>
      Effect.gen(function*() {
        const stream = new IntakeStream(streamId, encoding, maxPayloadBytes, budget)
        // Bounded: a client that outruns delayed acks is slowed down (reading waits) instead of growing it.
        const outgoing = yield* Queue.bounded<Outgoing>(4096)
        const ended = yield* Deferred.make<void>()
        let finished = false
        const finish = (st: grpc.StatusObject | undefined) => {
          if (finished) return
          finished = true
          if (st === undefined) call.end()
          else call.emit("error", st)
        }
        // The writer sends acks at their due time, in order.
        const writer = Effect.gen(function*() {
          while (true) {
            const item = yield* Queue.take(outgoing)
            const wait = item.due - Date.now()
            if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
            if (item._tag === "End") {
              finish(item.status)
              yield* Deferred.succeed(ended, undefined)
              return
            }
            if (!finished) call.write({ batchId: item.batchId, status: batchStatusOk })
          }
        })
        const writerFiber = yield* Effect.forkScoped(Effect.interruptible(writer))

        // On shutdown (or any exit) send the acks still waiting for their delay at once, then end the stream.
        yield* Effect.addFinalizer(() =>
          Effect.gen(function*() {
            yield* Fiber.interrupt(writerFiber)
            for (const item of yield* Queue.takeAll(outgoing)) {
              if (item._tag === "End") finish(item.status)
              else if (!finished) call.write({ batchId: item.batchId, status: batchStatusOk })
            }
            finish(unavailableShuttingDown)
            yield* Ref.update(counters, (c) => ({ ...c, activeStreams: c.activeStreams - 1 }))
          })
        )

        const processBatch = (batch: StatefulBatchMessage) =>
          Effect.gen(function*() {
            const decision = stream.onBatch(batch.batchId, batch.data)
            yield* Metric.incrementBy(compressedBytes, batch.data.length)
            if (decision._tag === "Reject") {
              yield* Ref.update(counters, (c) => ({ ...c, errors: c.errors + 1 }))
              yield* Metric.increment(streamErrors)
              yield* Effect.logWarning("stream rejected").pipe(
                Effect.annotateLogs({ stream: streamId, error: decision.error._tag, reason: decision.error.reason, detail: decision.error.message })
              )
              yield* Queue.offer(outgoing, {
                _tag: "End",
                status: status(grpc.status.INVALID_ARGUMENT, decision.error.message),
                due: Date.now() + ackDelay
              })
              return false
            }
            if (decision.records.length > 0) yield* output.write(decision.records)
            yield* Ref.update(counters, (c) => ({ ...c, batches: c.batches + 1, logs: c.logs + decision.records.length }))
            yield* Metric.increment(batchesTotal)
            yield* Metric.incrementBy(logsTotal, decision.records.length)
            const due = Date.now() + ackDelay
            if (decision.ack) yield* Queue.offer(outgoing, { _tag: "Ack", batchId: batch.batchId, due })
            if (decision.reset) {
              yield* Effect.logInfo("injected stream reset").pipe(Effect.annotateLogs({ stream: streamId, batch: batch.batchId }))
              yield* Queue.offer(outgoing, {
                _tag: "End",
                status: status(grpc.status.UNAVAILABLE, `injected reset after batch ${batch.batchId}`),
                due
              })
              return false
            }
            return true
          }).pipe(Effect.uninterruptible) // a batch in hand is always finished: written and its ack queued

        const batches = NodeStream.fromReadable<PayloadError, StatefulBatchMessage>(
          () => call,
          (cause) => new PayloadError({ reason: "Malformed", message: `stream read failed: ${String(cause)}`, cause }),
          { closeOnDone: false }
        )
        const result = yield* batches.pipe(
          Stream.mapEffect(processBatch),
          Stream.takeUntil((keepGoing) => !keepGoing),
          Stream.runLast,
          Effect.either
        )
        // Client half-closed after its last batch: end with OK once every ack is out.
        if (result._tag === "Left") {
          yield* Queue.offer(outgoing, {
            _tag: "End",
            status: status(grpc.status.CANCELLED, result.left.message),
            due: 0
          })
        } else if (Option.getOrElse(result.right, () => true)) {
          yield* Queue.offer(outgoing, { _tag: "End", status: undefined, due: Date.now() + ackDelay })
        }
        yield* Deferred.await(ended)
      }).pipe(
        Effect.scoped,
        Effect.annotateLogs({ stream: streamId, peer: call.getPeer() })
      )

    const checkKey = (md: grpc.Metadata): string | undefined => {
      const given = md.get(MetadataKeys.apiKey)[0]
      const key = typeof given === "string" ? given : given?.toString("utf8")
      if (key === undefined || key === "") return "missing dd-api-key"
      if (options.apiKey !== undefined && key !== Redacted.value(options.apiKey)) return "invalid dd-api-key"
      return undefined
    }

    server.addService(statefulLogsServiceDefinition, {
      LogsStream: (call: grpc.ServerDuplexStream<StatefulBatchMessage, unknown>) => {
        call.on("error", () => {})
        const reject = (st: grpc.StatusObject) => {
          call.emit("error", st)
        }
        if (closing) return reject(unavailableShuttingDown)
        const keyProblem = checkKey(call.metadata)
        if (keyProblem !== undefined) return reject(status(grpc.status.UNAUTHENTICATED, keyProblem))
        const rejection = budget.takeRejection()
        if (rejection !== undefined) return reject(status(rejection, "stream rejected (injected fault)"))
        const enc = call.metadata.get(MetadataKeys.contentEncoding)[0]
        const encoding = parseContentEncoding(enc === undefined ? undefined : String(enc))
        if (encoding instanceof PayloadError) return reject(status(grpc.status.INVALID_ARGUMENT, encoding.message))
        const streamId = nextStreamId++
        const fiber = runFork(
          Ref.update(counters, (c) => ({ ...c, streams: c.streams + 1, activeStreams: c.activeStreams + 1 })).pipe(
            Effect.zipRight(Metric.increment(streamsTotal)),
            Effect.zipRight(handleStream(call, streamId, encoding)),
            Effect.catchAllCause((cause) => Effect.logError("stream handler failed", cause))
          )
        )
        call.on("cancelled", () => {
          // The client went away: nothing more to read or ack on this stream.
          if (!closing) fiber.unsafeInterruptAsFork(FiberId.none)
        })
      }
    })

    yield* Effect.addFinalizer(() => Effect.sync(() => { closing = true })) // runs first: stop accepting

    const address = `${options.host}:${options.port}`
    const port = yield* Effect.async<number, IntakeBindError>((resume) => {
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) =>
        resume(
          error
            ? Effect.fail(new IntakeBindError({ address, message: `cannot listen on ${address}: ${error.message}`, cause: error }))
            : Effect.succeed(port)
        ))
    })
    yield* Effect.logDebug("intake listening").pipe(Effect.annotateLogs({ port }))
    return IntakeServer.of({ port, stats: Ref.get(counters) })
  })

/** The intake as a layer; it needs an `IntakeOutput`. */
export const layerIntakeServer = (options: IntakeOptions) => Layer.scoped(IntakeServer, makeIntakeServer(options))
