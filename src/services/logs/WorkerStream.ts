/**
 * One stream of a stream worker, as a fiber: opens the call, registers its session while it lives, and posts
 * what happens to it — opened, each acknowledgement, how it ended — as messages to the worker's mailbox. The
 * call belongs to the fiber's scope, so it is closed exactly once, whichever way the stream ends.
 */
import { Deferred, Effect } from "effect"
import { classifyStatus, GrpcCode, type StreamFailure } from "./errors.js"
import type { Event, StreamProblem } from "./StreamWorkerMachine.js"
import type { StreamEnd, StreamSession, StreamTransport } from "./StreamTransport.js"

/** What a stream posts: the reducer events about streams. */
export type StreamMessage = Extract<Event, { readonly _tag: "StreamOpened" | "StreamFailed" | "Ack" }>

export interface LiveStream {
  readonly session: StreamSession
  /** Completing it half-closes the call; the server then has `halfCloseGraceMs` to finish it. */
  readonly halfClose: Deferred.Deferred<void>
  /** Batches written, the snapshot included: the stream is owed no more acknowledgements than this. */
  readonly written: { n: number }
}

const problemOf = (end: StreamEnd): StreamProblem => ({
  failureClass: classifyStatus(end.code),
  code: end.code,
  message: end.code === GrpcCode.OK ? "the server ended the stream" : end.details
})

const problemOfFailure = (f: StreamFailure): StreamProblem => ({ failureClass: f.failureClass, code: f.code, message: f.details })

/**
 * Runs stream `streamId` until it ends, its session in `live` meanwhile. `post` must never wait (it is called
 * from the transport's callbacks too).
 */
export const runWorkerStream = (
  transport: StreamTransport["Type"],
  streamId: number,
  live: Map<number, LiveStream>,
  post: (m: StreamMessage) => void,
  halfCloseGraceMs: number
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const halfClose = yield* Deferred.make<void>()
    const written = { n: 0 }
    let acks = 0
    const session = yield* transport.open({
      // One acknowledgement beyond what was written is enough for the reducer to abandon the stream; a server
      // that sends more cannot fill the mailbox.
      onAck: (batchId, status) => {
        if (++acks <= written.n + 1) post({ _tag: "Ack", streamId, batchId, ok: status === 1 })
      }
    })
    live.set(streamId, { session, halfClose, written })
    yield* Effect.addFinalizer(() => Effect.sync(() => live.delete(streamId)))
    post({ _tag: "StreamOpened", streamId })
    const afterHalfClose = Deferred.await(halfClose).pipe(
      Effect.zipRight(Effect.sync(() => session.halfClose())),
      Effect.zipRight(Effect.timeoutTo(session.ended, {
        duration: halfCloseGraceMs,
        onSuccess: (end) => end,
        onTimeout: (): StreamEnd => ({ code: GrpcCode.CANCELLED, details: "no status after half-close" })
      }))
    )
    const end = yield* Effect.raceFirst(session.ended, afterHalfClose)
    post({ _tag: "StreamFailed", streamId, problem: problemOf(end) })
  }).pipe(
    Effect.scoped,
    Effect.catchAll((f) => Effect.sync(() => post({ _tag: "StreamFailed", streamId, problem: problemOfFailure(f) })))
  )
