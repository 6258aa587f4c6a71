/**
 * The reference intake as a scoped grpc-js server. Each stream (in a FiberSet owned by the server's scope) is
 * a small pipeline: its reader pulls a batch only when the intake's memory budget has room for it (fairly per
 * stream), decodes it a slice at a time as it is inflated (yielding the event loop between slices, and
 * stopping the decompression at the first limit crossed) into the pure `IntakeStream` decision, and hands it
 * to the stream's writer, which writes the logs to `IntakeOutput` while the next batch is decoded; only a
 * written batch is acknowledged, in order. A failed write ends the stream unacknowledged (UNAVAILABLE, so
 * the sender resends) and is counted. Closing the scope stops accepting streams, lets each stream write and
 * acknowledge the batches it has decoded, ends it with UNAVAILABLE, then shuts the server down.
 */
import * as grpc from "@grpc/grpc-js"
import {
  Clock,
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
  Queue,
  Redacted,
  Ref,
  Stream
} from "effect"
import { type ContentEncoding, parseContentEncoding } from "../../services/logs/ContentEncoding.js"
import { needInput } from "../../services/logs/DatumReader.js"
import { PayloadError } from "../../services/logs/errors.js"
import { type IntakeOptions, intakeDefaults, type IntakeStats } from "../../services/logs/IntakeOptions.js"
import { IntakeOutput } from "../../services/logs/IntakeOutput.js"
import {
  type BatchDecision,
  BatchWork,
  FaultBudget,
  type IntakeLimits,
  IntakeStream
} from "../../services/logs/IntakeStream.js"
import { makeCallReader } from "./CallReader.js"
import { yieldToEventLoop } from "./eventLoop.js"
import { type IntakeMemory, makeIntakeBudget } from "./IntakeBudget.js"
import { openPayloadInflater, type PayloadInflater } from "./PayloadInflater.js"

export type { IntakeMemory } from "./IntakeBudget.js"
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
  /** The memory budget now, and every change to it. */
  readonly memory: { readonly current: Effect.Effect<IntakeMemory>; readonly changes: Stream.Stream<IntakeMemory> }
}>() {}

const streamsTotal = Metric.counter("dd_agent_intake_streams_total", { description: "streams accepted by the intake" })
const batchesTotal = Metric.counter("dd_agent_intake_batches_total", { description: "batches decoded and written" })
const logsTotal = Metric.counter("dd_agent_intake_logs_total", { description: "logs reconstructed" })
const streamErrors = Metric.counter("dd_agent_intake_stream_errors_total", { description: "streams ended with an error" })
const compressedBytes = Metric.counter("dd_agent_intake_payload_bytes_total", { description: "batch payload bytes received" })
/** Payload bytes read after decompression: a batch rejected at a limit stops being inflated there. */
export const inflatedBytes = Metric.counter("dd_agent_intake_inflated_bytes_total", {
  description: "batch payload bytes read after decompression"
})
const outputErrors = Metric.counter("dd_agent_intake_output_errors_total", { description: "batches the output failed to write" })
const budgetWaits = Metric.counter("dd_agent_intake_budget_waits_total", {
  description: "batches that waited for the intake's memory budget before being read"
})

/** Datums applied between two checks of the clock. */
const stepDatums = 64
/**
 * Work on one batch between two event-loop yields, so other streams' reads, writes and acks go on. Measured
 * with `performance.now()`: it slices CPU time, whatever the Clock service says (a test clock stands still).
 */
const sliceMs = 0.5

/** A decoded batch waiting for the stream's writer, with the budget bytes it holds; or the stream's end. */
type Pending =
  | { readonly _tag: "Batch"; readonly decision: Extract<BatchDecision, { _tag: "Accept" }>; readonly held: number }
  | { readonly _tag: "End"; readonly status: grpc.StatusObject | undefined }

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
    const limits: IntakeLimits = {
      maxPayloadBytes: options.maxPayloadBytes ?? intakeDefaults.maxPayloadBytes,
      maxBatchDatums: options.maxBatchDatums ?? intakeDefaults.maxBatchDatums,
      maxBatchLogBytes: options.maxBatchLogBytes ?? intakeDefaults.maxBatchLogBytes,
      maxStateBytes: options.maxStateBytes ?? intakeDefaults.maxStateBytes
    }
    const budgetBytes = options.maxBufferedBytes ?? intakeDefaults.maxBufferedBytes
    const memory = yield* makeIntakeBudget(budgetBytes)
    const budget = new FaultBudget(options.faults ?? {})
    const ackDelay = options.faults?.ackDelayMs ?? 0
    const counters = yield* Ref.make({ streams: 0, activeStreams: 0, batches: 0, logs: 0, errors: 0 })
    const countError = Effect.zipRight(Ref.update(counters, (c) => ({ ...c, errors: c.errors + 1 })), Metric.increment(streamErrors))
    let closing = false
    let nextStreamId = 1

    const server = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new grpc.Server({
          // Room for an oversized payload to reach the codec's own check and typed error.
          "grpc.max_receive_message_length": limits.maxPayloadBytes + 1024 * 1024
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

    /** One stream: read and decode batches, write them, ack in order; end with the status they lead to. */
    const handleStream = (
      call: grpc.ServerDuplexStream<StatefulBatchMessage, unknown>,
      streamId: number,
      encoding: ContentEncoding
    ) =>
      Effect.gen(function*() {
        const stream = new IntakeStream(streamId, encoding, limits, budget)
        const reader = yield* makeCallReader<StatefulBatchMessage, PayloadError>(
          call,
          (cause) => new PayloadError({ reason: "Malformed", message: `stream read failed: ${String(cause)}`, cause })
        )
        // Bounded: a client that outruns delayed acks is slowed down (reading waits) instead of growing it.
        const outgoing = yield* Queue.bounded<Outgoing>(4096)
        // One decoded batch waits while the previous one is written.
        const pending = yield* Queue.bounded<Pending>(1)
        const ended = yield* Deferred.make<void>()
        /** Set when the writer stops early (output failure, injected reset): reading stops too. */
        const writerStopped = yield* Deferred.make<void>()
        /** Budget bytes this stream holds; whatever is left is given back when the stream ends. */
        let held = 0
        /** Whether a batch of this stream is being decoded (admitted, not yet decided). */
        let decoding = false
        const release = (n: number) =>
          Effect.suspend(() => {
            held -= n
            return memory.release(n)
          })
        /** The batch's decoding is over; `n` of what it holds (its payload) is given back. */
        const decoded = (n: number) =>
          Effect.suspend(() => {
            held -= n
            decoding = false
            return memory.decoded(n)
          })
        let finished = false
        const finish = (st: grpc.StatusObject | undefined) => {
          if (finished) return
          finished = true
          if (st === undefined) call.end()
          else call.emit("error", st)
        }
        // The acker sends acks at their due time, in order.
        const acker = Effect.gen(function*() {
          while (true) {
            const item = yield* Queue.take(outgoing)
            const wait = item.due - (yield* Clock.currentTimeMillis)
            if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
            if (item._tag === "End") {
              finish(item.status)
              yield* Deferred.succeed(ended, undefined)
              return
            }
            if (!finished) call.write({ batchId: item.batchId, status: batchStatusOk })
          }
        })

        /** Writes one decoded batch and queues its ack; false when the stream must stop here. */
        const writeBatch = (item: Extract<Pending, { _tag: "Batch" }>) =>
          Effect.gen(function*() {
            const d = item.decision
            const written = yield* (d.batch.logs.length > 0 ? output.write(d.batch) : Effect.void).pipe(Effect.either)
            yield* release(item.held)
            if (written._tag === "Left") {
              yield* countError
              yield* Metric.increment(outputErrors)
              yield* Effect.logError("output write failed; the stream ends unacknowledged and the sender resends").pipe(
                Effect.annotateLogs({ stream: streamId, batch: d.batch.batch, target: written.left.target, detail: written.left.message })
              )
              yield* Queue.offer(outgoing, {
                _tag: "End",
                status: status(grpc.status.UNAVAILABLE, `batch ${d.batch.batch} was not written: ${written.left.message}`),
                due: 0
              })
              return false
            }
            yield* Ref.update(counters, (c) => ({ ...c, batches: c.batches + 1, logs: c.logs + d.batch.logs.length }))
            yield* Metric.increment(batchesTotal)
            yield* Metric.incrementBy(logsTotal, d.batch.logs.length)
            const due = (yield* Clock.currentTimeMillis) + ackDelay
            if (d.ack) yield* Queue.offer(outgoing, { _tag: "Ack", batchId: d.batch.batch, due })
            if (d.reset) {
              yield* Effect.logInfo("injected stream reset").pipe(Effect.annotateLogs({ stream: streamId, batch: d.batch.batch }))
              yield* Queue.offer(outgoing, {
                _tag: "End",
                status: status(grpc.status.UNAVAILABLE, `injected reset after batch ${d.batch.batch}`),
                due
              })
              return false
            }
            return true
          }).pipe(Effect.uninterruptible) // a batch being written is finished: written (or failed) and its ack queued

        const endWith = (st: grpc.StatusObject | undefined) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => Queue.offer(outgoing, { _tag: "End", status: st, due: now + ackDelay }))

        // The writer takes decoded batches in order: while it writes one, the reader decodes the next.
        const writer = Effect.gen(function*() {
          while (true) {
            const item = yield* Queue.take(pending)
            if (item._tag === "End") return yield* endWith(item.status)
            if (!(yield* writeBatch(item))) return yield* Deferred.succeed(writerStopped, undefined)
          }
        })
        const ackerFiber = yield* Effect.forkScoped(Effect.interruptible(acker))
        const writerFiber = yield* Effect.forkScoped(Effect.interruptible(writer))

        // On shutdown write and ack the batches already decoded, send the acks still waiting for their delay,
        // then end the stream. (A stream the client cancelled has nobody to ack: its decoded batches are
        // dropped, and resent by the sender.)
        yield* Effect.addFinalizer(() =>
          Effect.gen(function*() {
            yield* Fiber.interrupt(writerFiber)
            const left = yield* Queue.takeAll(pending)
            let writing = closing && !(yield* Deferred.isDone(writerStopped))
            for (const item of left) {
              if (item._tag === "End") {
                if (writing) yield* endWith(item.status)
                writing = false
              } else if (writing) writing = yield* writeBatch(item)
            }
            yield* Fiber.interrupt(ackerFiber)
            for (const item of yield* Queue.takeAll(outgoing)) {
              if (item._tag === "End") finish(item.status)
              else if (!finished) call.write({ batchId: item.batchId, status: batchStatusOk })
            }
            finish(unavailableShuttingDown)
            yield* decoding ? decoded(held) : release(held)
            yield* Ref.update(counters, (c) => ({ ...c, activeStreams: c.activeStreams - 1 }))
          })
        )

        /** Reads a batch as it is inflated, a slice at a time, counting what it holds in the budget. */
        const readBatch = (work: BatchWork, batch: StatefulBatchMessage) =>
          Effect.gen(function*() {
            let inflater: PayloadInflater | undefined
            let decision: BatchDecision | undefined
            /** The logs and the unread payload of this batch counted in the budget so far. */
            let counted = 0
            while (decision === undefined) {
              const sliceEnd = performance.now() + sliceMs
              let r: ReturnType<BatchWork["step"]>
              do r = work.step(stepDatums)
              while (r === undefined && performance.now() < sliceEnd)
              if (r === needInput) {
                // Inflate ahead of the reading, stopping at the first limit crossed.
                inflater ??= yield* openPayloadInflater(batch.data, encoding, limits.maxPayloadBytes)
                do {
                  const chunk = yield* Effect.either(inflater.next)
                  if (chunk._tag === "Left") decision = work.fail(chunk.left)
                  else if (chunk.right === undefined) work.finish()
                  else decision = work.feed(chunk.right)
                } while (decision === undefined && work.wantsInput)
              } else decision = r
              const holding = work.logBytes + work.gatheredBytes
              if (holding > counted) {
                held += holding - counted
                yield* memory.grow(holding - counted)
              } else if (holding < counted) yield* release(counted - holding)
              counted = holding
              if (decision === undefined) {
                yield* memory.checkpoint
                if (performance.now() >= sliceEnd) yield* yieldToEventLoop
              }
            }
            yield* Metric.incrementBy(inflatedBytes, work.payloadBytes)
            return { decision, counted } as const
          }).pipe(Effect.scoped)

        const decodeBatch = (batch: StatefulBatchMessage) =>
          Effect.gen(function*() {
            yield* Metric.incrementBy(compressedBytes, batch.data.length)
            // The payload is reserved before reading it; the logs and a field spanning chunks are counted as
            // they appear.
            const payload = stream.payloadReservation(batch.data.length)
            const before = yield* memory.current
            yield* memory.admit(payload, () => {
              held += payload
              decoding = true
            }, () => held)
            if (before.waitingBatches > 0 || before.bufferedBytes + payload > budgetBytes) yield* Metric.increment(budgetWaits)
            const work = stream.begin(batch.batchId, batch.data)
            const { counted, decision } = work instanceof BatchWork ? yield* readBatch(work, batch) : { decision: work, counted: 0 }
            // The payload is read: what stays held are the logs, until written.
            yield* decoded(payload)
            if (decision._tag === "Reject") {
              yield* release(counted)
              yield* countError
              yield* Effect.logWarning("stream rejected").pipe(
                Effect.annotateLogs({ stream: streamId, error: decision.error._tag, reason: decision.error.reason, detail: decision.error.message })
              )
              yield* Queue.offer(pending, { _tag: "End", status: status(grpc.status.INVALID_ARGUMENT, decision.error.message) })
              return false
            }
            yield* Queue.offer(pending, { _tag: "Batch", decision, held: decision.bytes })
            return !decision.reset
          })

        /** Reads and decodes batches until the client half-closes (true) or a batch ends the stream (false). */
        const readAll = Effect.gen(function*() {
          while (true) {
            const batch = yield* reader.next
            if (batch === undefined) return true
            if (!(yield* decodeBatch(batch))) return false
          }
        })
        // A writer that stops early stops the reading wherever it is.
        const result = yield* Effect.raceFirst(Effect.either(readAll), Effect.as(Deferred.await(writerStopped), undefined))
        if (result !== undefined && !(yield* Deferred.isDone(writerStopped))) {
          if (result._tag === "Left") {
            yield* Queue.offer(pending, { _tag: "End", status: status(grpc.status.CANCELLED, result.left.message) })
          } else if (result.right) {
            // Client half-closed after its last batch: end with OK once every batch is written and acked.
            yield* Queue.offer(pending, { _tag: "End", status: undefined })
          }
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
    return IntakeServer.of({
      port,
      stats: Ref.get(counters),
      memory: { current: memory.current, changes: memory.changes }
    })
  })

/** The intake as a layer; it needs an `IntakeOutput`. */
export const layerIntakeServer = (options: IntakeOptions) => Layer.scoped(IntakeServer, makeIntakeServer(options))
