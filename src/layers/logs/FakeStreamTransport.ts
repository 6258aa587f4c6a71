/**
 * In-memory StreamTransport for deterministic tests: every stream decodes what it receives with the
 * reference StreamDecoder (so tests see the reconstructed logs), and the test acks, fails or ends streams at
 * will, or lets the fake ack every batch as it arrives. No sockets, no timers: works under TestClock.
 */
import { Deferred, Effect, Exit, Layer, Queue } from "effect"
import { decodeBatchData } from "../../services/logs/BatchCodec.js"
import type { ContentEncoding } from "../../services/logs/ContentEncoding.js"
import { GrpcCode, PayloadError, StreamFailure } from "../../services/logs/errors.js"
import { type ReconstructedLog, StreamDecoder } from "../../services/logs/StreamDecoder.js"
import { type StreamEnd, type StreamHandlers, StreamTransport } from "../../services/logs/StreamTransport.js"

export interface ReceivedBatch {
  readonly batchId: number
  readonly bytes: number
  readonly logs: ReadonlyArray<ReconstructedLog>
}

export interface FakeStream {
  readonly id: number
  readonly batches: Array<ReceivedBatch>
  /** Decoding or ordering problems seen by the fake server (a correct sender produces none). */
  readonly errors: Array<string>
  halfClosed: boolean
  cancelled: boolean
  ended: StreamEnd | undefined
  readonly decoder: StreamDecoder
  /** Sends a BatchStatus to the client. */
  readonly ack: (batchId: number, status?: number) => void
  /** Acks every received batch not acked yet, in order. */
  readonly ackAll: () => void
  /** Finishes the call with a status, as a server would. */
  readonly end: (code: number, details?: string) => void
}

export interface FakeTransportOptions {
  readonly encoding?: ContentEncoding
  /** Ack each batch as soon as it arrives. */
  readonly autoAck?: boolean
  /** Finish the call with OK when the client half-closes. */
  readonly finishOnHalfClose?: boolean
}

export interface FakeTransport {
  readonly layer: Layer.Layer<StreamTransport>
  readonly streams: Array<FakeStream>
  /** Streams as they open, for tests to wait on. */
  readonly opened: Queue.Queue<FakeStream>
  /** The next `n` opens fail with `code`. */
  readonly failOpens: (n: number, code: number, details?: string) => void
  /** Every log received, over all streams, in arrival order. */
  readonly received: () => ReadonlyArray<ReconstructedLog>
  autoAck: boolean
  /** Make `send` throw (a bug in a transport), to test that the worker survives it. */
  throwOnSend: boolean
}

export const makeFakeTransport = (options: FakeTransportOptions = {}): Effect.Effect<FakeTransport> =>
  Effect.gen(function*() {
    const encoding = options.encoding ?? "identity"
    const opened = yield* Queue.unbounded<FakeStream>()
    const streams: Array<FakeStream> = []
    const openFailures: Array<{ code: number; details: string }> = []

    const open = (handlers: StreamHandlers) =>
      Effect.gen(function*() {
        const failure = openFailures.shift()
        if (failure !== undefined) return yield* new StreamFailure(failure)
        const endSignal = yield* Deferred.make<StreamEnd>()
        let acked = 0
        const stream: FakeStream = {
          id: streams.length + 1,
          batches: [],
          errors: [],
          halfClosed: false,
          cancelled: false,
          ended: undefined,
          decoder: new StreamDecoder(),
          ack: (batchId, status = 1) => {
            if (stream.ended === undefined) handlers.onAck(batchId, status)
          },
          ackAll: () => {
            while (acked < stream.batches.length) stream.ack(stream.batches[acked++]!.batchId)
          },
          end: (code, details = "") => {
            if (stream.ended !== undefined) return
            stream.ended = { code, details }
            Deferred.unsafeDone(endSignal, Exit.succeed(stream.ended))
          }
        }
        const session = {
          send: (batchId: number, data: Uint8Array) => {
            if (fake.throwOnSend) throw new Error("fake transport: send threw")
            if (stream.ended !== undefined || stream.halfClosed) {
              stream.errors.push(`batch ${batchId} written after the call finished`)
              return
            }
            const datums = decodeBatchData(data, encoding)
            let logs: ReadonlyArray<ReconstructedLog> = []
            if (datums instanceof PayloadError) stream.errors.push(datums.message)
            else {
              const r = stream.decoder.apply(batchId, datums)
              if ("reason" in r) stream.errors.push(r.message)
              else logs = r
            }
            stream.batches.push({ batchId, bytes: data.length, logs })
            if (fake.autoAck) stream.ackAll()
          },
          halfClose: () => {
            stream.halfClosed = true
            if (options.finishOnHalfClose ?? true) stream.end(GrpcCode.OK)
          },
          ended: Deferred.await(endSignal)
        }
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            if (stream.ended === undefined) {
              stream.cancelled = true
              stream.end(GrpcCode.CANCELLED, "cancelled by the client")
            }
          })
        )
        streams.push(stream)
        yield* Queue.offer(opened, stream)
        return session
      })

    const fake: FakeTransport = {
      layer: Layer.succeed(StreamTransport, StreamTransport.of({ open })),
      streams,
      opened,
      failOpens: (n, code, details = "refused") => {
        for (let i = 0; i < n; i++) openFailures.push({ code, details })
      },
      received: () => streams.flatMap((s) => s.batches.flatMap((b) => b.logs)),
      autoAck: options.autoAck ?? false,
      throwOnSend: false
    }
    return fake
  })
