/**
 * The stream worker's driver: one fiber owns the translator, batcher, inflight tracker and the reducer state,
 * feeds the reducer (`StreamWorkerMachine.step`) its events and performs the commands it returns. Streams run
 * in a FiberMap keyed by stream id and timers in a FiberMap keyed by kind, all inside the worker's scope; a
 * stream's call is owned by that stream's own scope, so it is closed exactly once whatever happens.
 * Producers hand over chunks of logs through a bounded queue; the driver takes input only while the
 * inflight tracker has room, which is the backpressure towards producers.
 */
import { Cause, Chunk, Clock, Deferred, Effect, FiberMap, Metric, Option, Queue, Random, type Scope } from "effect"
import { encodeBatchData } from "./BatchCodec.js"
import { Batcher } from "./Batcher.js"
import { Dictionary } from "./Dictionary.js"
import { InflightTracker } from "./InflightTracker.js"
import type { LogMessage, SourcePosition } from "./LogMessage.js"
import * as M from "./metrics.js"
import { PatternContent } from "./patterns/PatternContent.js"
import type { Payload } from "./Payload.js"
import type { SenderConfig } from "./SenderConfig.js"
import { classifyStatus, GrpcCode, type LogRejected, SenderStopped, type StreamFailure } from "./errors.js"
import {
  type Command,
  type DoneReason,
  type Event,
  initialState,
  type MachineState,
  type Phase,
  step,
  type StreamProblem,
  type TimerKind
} from "./StreamWorkerMachine.js"
import { releaseRefs } from "./StateRef.js"
import { type StreamEnd, type StreamSession, StreamTransport } from "./StreamTransport.js"
import { rawContent, Translator } from "./Translator.js"

export interface WorkerStatus {
  readonly worker: number
  readonly phase: Phase
  readonly streamId: number
  readonly logsAccepted: number
  readonly logsAcked: number
  readonly logsRejected: number
  readonly batchesAcked: number
  readonly bytesOnWire: number
  readonly inflightPayloads: number
  readonly inflightBytes: number
  readonly dictionaryEntries: number
  readonly retransmittedBatches: number
  readonly rotations: number
  readonly problem: StreamProblem | undefined
  /** Unix ms when `problem` happened. */
  readonly problemAt: number | undefined
  readonly lastRejection: LogRejected | undefined
}

/** What became of every log handed to a worker: `acked + unacked + rejected` equals the logs offered. */
export interface WorkerReport {
  readonly worker: number
  readonly acked: number
  readonly unacked: number
  readonly rejected: number
  readonly reason: DoneReason
  readonly problem: StreamProblem | undefined
}

export interface StreamWorker {
  /** Hands over logs; waits while the worker is full; fails once shutdown has begun. */
  /**
   * Hands over a chunk of logs; waits while the worker is full; fails once shutdown has begun. The chunk's
   * `position`, if given, is reported on the acknowledgement queue once all its logs are settled.
   */
  readonly offer: (logs: ReadonlyArray<LogMessage>, position?: SourcePosition) => Effect.Effect<void, SenderStopped>
  /**
   * Stops taking input, flushes, sends what is unsent, waits for acks up to the shutdown timeout, half-closes
   * and reports. Idempotent: later calls return the same report.
   */
  readonly shutdown: Effect.Effect<WorkerReport>
  /**
   * Stops at once: no more input, no more waiting for acknowledgements; streams are cancelled and whatever
   * is unacknowledged is reported as such. Also ends a graceful shutdown in progress.
   */
  readonly abort: Effect.Effect<WorkerReport>
  readonly status: Effect.Effect<WorkerStatus>
}

type DriverEvent = Event | { readonly _tag: "FlushDue" } | { readonly _tag: "StopRequested" } | { readonly _tag: "AbortRequested" }

interface LiveStream {
  readonly session: StreamSession
  readonly halfClose: Deferred.Deferred<void>
}

const problemOf = (end: StreamEnd): StreamProblem => ({
  failureClass: classifyStatus(end.code),
  code: end.code,
  message: end.code === GrpcCode.OK ? "the server ended the stream" : end.details
})

const problemOfFailure = (f: StreamFailure): StreamProblem => ({ failureClass: f.failureClass, code: f.code, message: f.details })

/** A chunk of logs waiting for the driver, with where it came from. */
interface InputChunk {
  readonly logs: ReadonlyArray<LogMessage>
  readonly position: SourcePosition | undefined
}

/**
 * `acknowledged` receives the positions of settled chunks, in the order they settle (bounded: the driver waits
 * while it is full). Without it, positions are not reported.
 */
export const makeStreamWorker = (
  config: SenderConfig,
  worker = 0,
  acknowledged?: Queue.Enqueue<SourcePosition>
): Effect.Effect<StreamWorker, never, Scope.Scope | StreamTransport> =>
  Effect.gen(function*() {
    const transport = yield* StreamTransport
    const seed = yield* Random.nextIntBetween(0, 2 ** 31 - 1)
    const signals = yield* Effect.acquireRelease(Queue.unbounded<DriverEvent>(), Queue.shutdown)
    const input = yield* Effect.acquireRelease(Queue.bounded<InputChunk>(config.inputQueueChunks), Queue.shutdown)
    const bell = yield* Queue.sliding<void>(1)
    const stopRequested = yield* Deferred.make<void>()
    const done = yield* Deferred.make<WorkerReport>()
    const streams = yield* FiberMap.make<number>()
    const timers = yield* FiberMap.make<TimerKind | "flush">()
    const live = new Map<number, LiveStream>()

    const dictionary = new Dictionary(config.dictionary)
    const batcher = new Batcher(
      {
        maxEntries: config.batchMaxEntries,
        maxContentBytes: config.batchMaxContentBytes,
        encoding: config.encoding,
        compressionLevel: config.compressionLevel
      },
      new Translator(dictionary, config.patternExtraction ? new PatternContent(dictionary) : rawContent)
    )
    const tracker = new InflightTracker(config.inflight)

    let state: MachineState = initialState(seed)
    let stopping = false
    let inputClosed = false
    let finished: DoneReason | undefined
    let lastSentSeq = 0
    const counters = {
      logsAccepted: 0,
      logsAcked: 0,
      logsRejected: 0,
      batchesAcked: 0,
      bytesOnWire: 0,
      retransmittedBatches: 0,
      rotations: 0
    }
    let stopFlag = false
    let lastRejection: LogRejected | undefined
    let problem: StreamProblem | undefined
    /** Unix ms of the last problem (status reports when it happened). */
    let problemAt: number | undefined
    let wasFull = false

    /** Safe from any callback: the queues are unbounded / sliding, so the offer cannot block or fail. */
    const signal = (e: DriverEvent): void => {
      Queue.unsafeOffer(signals, e)
      Queue.unsafeOffer(bell, undefined)
    }

    const runStream = (streamId: number) =>
      Effect.gen(function*() {
        const halfClose = yield* Deferred.make<void>()
        const session = yield* transport.open({
          onAck: (batchId, status) => signal({ _tag: "Ack", streamId, batchId, ok: status === 1 })
        })
        live.set(streamId, { session, halfClose })
        yield* Effect.addFinalizer(() => Effect.sync(() => live.delete(streamId)))
        signal({ _tag: "StreamOpened", streamId })
        const afterHalfClose = Deferred.await(halfClose).pipe(
          Effect.zipRight(Effect.sync(() => session.halfClose())),
          Effect.zipRight(Effect.timeoutTo(session.ended, {
            duration: config.halfCloseGraceMs,
            onSuccess: (end) => end,
            onTimeout: (): StreamEnd => ({ code: GrpcCode.CANCELLED, details: "no status after half-close" })
          }))
        )
        const end = yield* Effect.raceFirst(session.ended, afterHalfClose)
        signal({ _tag: "StreamFailed", streamId, problem: problemOf(end) })
      }).pipe(
        Effect.scoped,
        Effect.catchAll((f) => Effect.sync(() => signal({ _tag: "StreamFailed", streamId, problem: problemOfFailure(f) })))
      )

    const send = (streamId: number, batchId: number, p: Payload) => {
      const s = live.get(streamId)
      // No session means the stream already ended; its failure event is queued and will rewind.
      if (s === undefined) return Effect.void
      s.session.send(batchId, p.data)
      counters.bytesOnWire += p.data.length
      const retransmit = p.seq <= lastSentSeq
      if (!retransmit) lastSentSeq = p.seq
      else counters.retransmittedBatches++
      return Effect.all([
        Metric.increment(M.batchesSent),
        Metric.incrementBy(M.logsSent, p.logCount),
        Metric.incrementBy(M.bytesCompressed, p.data.length),
        Metric.incrementBy(M.bytesUncompressed, p.uncompressedBytes),
        retransmit ? Metric.increment(M.batchesRetransmitted) : Effect.void
      ], { discard: true })
    }

    const perform = (c: Command): Effect.Effect<void> => {
      switch (c._tag) {
        case "Open":
          return FiberMap.run(streams, c.streamId, runStream(c.streamId)).pipe(Effect.asVoid)
        case "Close": {
          const s = live.get(c.streamId)
          if (c.how === "halfClose" && s !== undefined) return Deferred.succeed(s.halfClose, undefined).pipe(Effect.asVoid)
          return FiberMap.remove(streams, c.streamId)
        }
        case "SendSnapshot": {
          const s = live.get(c.streamId)
          if (s === undefined) return Effect.void
          const encoded = encodeBatchData(tracker.snapshot(), config.encoding, config.compressionLevel)
          s.session.send(0, encoded.data)
          counters.bytesOnWire += encoded.data.length
          return Metric.increment(M.snapshotsSent)
        }
        case "Send": {
          const p = tracker.markSent()
          return p === undefined ? Effect.dieMessage("reducer sent more payloads than the tracker holds") : send(c.streamId, c.batchId, p)
        }
        case "Pop": {
          const p = tracker.pop()
          if (p === undefined) return Effect.dieMessage("reducer acknowledged a payload the tracker does not hold")
          releaseRefs(p.stateRefs)
          counters.logsAcked += p.logCount
          counters.batchesAcked++
          const metrics = Effect.all([Metric.increment(M.batchesAcked), Metric.incrementBy(M.logsAcked, p.logCount)], { discard: true })
          return p.positions.length === 0 ? metrics : Effect.zipRight(metrics, report(p.positions))
        }
        case "Rewind":
          tracker.rewind()
          return Effect.void
        case "StartTimer": {
          const fire = Effect.sleep(c.delayMs).pipe(
            Effect.zipRight(Effect.sync(() => signal({ _tag: "Timer", timer: c.timer, token: c.token })))
          )
          const run = FiberMap.run(timers, c.timer, fire).pipe(Effect.asVoid)
          return c.timer === "backoff" ? Effect.zipRight(Metric.incrementBy(M.backoffMillis, c.delayMs), run) : run
        }
        case "CancelTimer":
          return FiberMap.remove(timers, c.timer)
        case "Rotated":
          counters.rotations++
          return Metric.increment(Metric.tagged(M.rotations, "reason", c.reason))
        case "Problem":
          problem = c.problem
          return Effect.all([
            Effect.map(Clock.currentTimeMillis, (now) => { problemAt = now }),
            Metric.increment(Metric.tagged(M.streamErrors, "class", c.problem.failureClass)),
            (c.terminal ? Effect.logError : Effect.logWarning)("logs stream failed", {
              class: c.problem.failureClass,
              code: c.problem.code,
              message: c.problem.message,
              terminal: c.terminal
            })
          ], { discard: true })
        case "Done":
          finished = c.reason
          return Effect.void
      }
    }

    const dispatch = (e: Event): Effect.Effect<void> => {
      const before = state.phase
      const [next, commands] = step(config.machine, state, e)
      state = next
      const transition = before === next.phase
        ? Effect.void
        : Metric.increment(Metric.tagged(Metric.tagged(M.stateTransitions, "from", before), "to", next.phase))
      return commands.length === 0
        ? transition
        : Effect.zipRight(transition, Effect.forEach(commands, perform, { discard: true }))
    }

    const queueSealed = (): Effect.Effect<void> => {
      const sealed = batcher.takeSealed()
      if (sealed.length === 0) return Effect.void
      for (const p of sealed) tracker.append(p)
      return dispatch({ _tag: "Queued", count: sealed.length })
    }

    const armFlush = (): Effect.Effect<void> =>
      batcher.isEmpty ? Effect.void : FiberMap.run(timers, "flush", Effect.sleep(config.batchMaxWaitMs).pipe(
        Effect.zipRight(Effect.sync(() => signal({ _tag: "FlushDue" })))
      ), { onlyIfMissing: true }).pipe(Effect.asVoid)

    /** Reports settled positions (the bounded queue's wait is the backpressure on the driver). */
    const report = (positions: ReadonlyArray<SourcePosition>): Effect.Effect<void> =>
      acknowledged === undefined ? Effect.void : Queue.offerAll(acknowledged, positions).pipe(Effect.asVoid)

    const accept = ({ logs, position }: InputChunk): Effect.Effect<void> => {
      let rejected = 0
      for (let i = 0; i < logs.length; i++) {
        const r = batcher.add(logs[i]!)
        if (r !== undefined) {
          rejected++
          lastRejection = r
        }
      }
      if (position !== undefined) batcher.markPosition(position)
      counters.logsAccepted += logs.length - rejected
      counters.logsRejected += rejected
      const rejections = rejected === 0 ? Effect.void : Effect.zipRight(
        Metric.incrementBy(Metric.tagged(M.logsRejected, "reason", lastRejection!.reason), rejected),
        Effect.logWarning("logs rejected", { count: rejected, last: lastRejection!.message })
      )
      const settled = batcher.takeSettled()
      return Effect.zipRight(
        rejections,
        Effect.zipRight(settled.length === 0 ? Effect.void : report(settled), Effect.zipRight(queueSealed(), armFlush()))
      )
    }

    const handle = (e: DriverEvent): Effect.Effect<void> => {
      switch (e._tag) {
        case "FlushDue":
          batcher.flush()
          return queueSealed()
        case "StopRequested":
          stopping = true
          return dispatch({ _tag: "Shutdown" })
        case "AbortRequested":
          stopping = true
          return dispatch({ _tag: "Abort" })
        default:
          return dispatch(e)
      }
    }

    const gauges = Effect.suspend(() =>
      Effect.all([
        Metric.set(M.inflightPayloads, tracker.count),
        Metric.set(M.inflightBytes, tracker.bytes),
        Metric.set(M.dictionarySize, dictionary.stats.entries)
      ], { discard: true })
    )

    const loop = Effect.gen(function*() {
      yield* dispatch({ _tag: "Start" })
      while (finished === undefined) {
        let worked = false
        const events = yield* Queue.takeAll(signals)
        for (const e of events) {
          worked = true
          yield* handle(e)
          if (finished !== undefined) break
        }
        if (finished !== undefined) break
        if (tracker.hasSpace) {
          wasFull = false
          const chunk = yield* Queue.poll(input)
          if (Option.isSome(chunk)) {
            worked = true
            yield* accept(chunk.value)
          } else if (stopping && !inputClosed && (yield* Queue.size(input)) <= 0) {
            // Shutdown: nothing more can arrive; seal the open batch and let the reducer finish.
            inputClosed = true
            batcher.flush()
            yield* queueSealed()
            yield* dispatch({ _tag: "InputClosed" })
            worked = true
          }
        } else if (!wasFull) {
          wasFull = true
          yield* Metric.increment(M.inflightFull)
        }
        if (!worked) {
          yield* gauges
          yield* Queue.take(bell)
        }
      }
    })

    const remainingInputLogs = Effect.map(Queue.takeAll(input), (chunks) => {
      let n = 0
      for (const c of Chunk.toReadonlyArray(chunks)) n += c.logs.length
      return n
    })

    const complete = (graceful: boolean) => Effect.gen(function*() {
      // Let half-closing streams receive their final status, then stop everything still running.
      if (graceful) yield* FiberMap.awaitEmpty(streams).pipe(Effect.timeoutOption(config.halfCloseGraceMs))
      yield* FiberMap.clear(streams)
      yield* FiberMap.clear(timers)
      const pendingInput = yield* remainingInputLogs
      yield* gauges
      yield* Deferred.succeed(done, {
        worker,
        acked: counters.logsAcked,
        unacked: tracker.logs + batcher.pendingLogs + pendingInput,
        rejected: counters.logsRejected,
        reason: finished ?? "failed",
        problem
      })
    })

    // A defect in the driver must not leave producers or `shutdown` waiting forever: record it as a terminal
    // problem, release producers, and report the exact counts like any other end.
    const crashed = (cause: Cause.Cause<unknown>) =>
      Effect.gen(function*() {
        yield* Effect.logError("logs stream worker crashed", cause)
        problem = { failureClass: "fatal", code: GrpcCode.INTERNAL, message: `stream worker crashed: ${Cause.squash(cause)}` }
        problemAt = yield* Clock.currentTimeMillis
        finished = "failed"
        state = { ...state, phase: "failed" }
        stopFlag = true
        yield* Deferred.succeed(stopRequested, undefined)
        yield* complete(false)
      })

    yield* loop.pipe(
      Effect.zipRight(complete(true)),
      Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : crashed(cause)),
      Effect.annotateLogs("worker", worker),
      Effect.interruptible,
      Effect.forkScoped
    )

    const requestStop = Effect.suspend(() => {
      if (stopFlag) return Effect.void
      stopFlag = true
      return Deferred.succeed(stopRequested, undefined).pipe(Effect.zipRight(Effect.sync(() => signal({ _tag: "StopRequested" }))))
    })

    const shutdown = Effect.zipRight(requestStop, Deferred.await(done))
    const abort = Effect.zipRight(
      Effect.zipRight(requestStop, Effect.sync(() => signal({ _tag: "AbortRequested" }))),
      Deferred.await(done)
    )

    // Leaving the scope without an explicit shutdown still shuts down gracefully, even when the owner was
    // interrupted (finalizers run uninterruptibly). The reducer bounds the wait: it gives up after
    // `shutdownTimeoutMs` without an acknowledgement, and the payloads to acknowledge are finite once input stops.
    yield* Effect.addFinalizer(() => shutdown)

    const stopped = () => new SenderStopped({ message: `worker ${worker} is shutting down and takes no more logs` })

    const offer = (logs: ReadonlyArray<LogMessage>, position?: SourcePosition): Effect.Effect<void, SenderStopped> =>
      Effect.suspend(() => {
        if (stopFlag) return Effect.fail(stopped())
        return Effect.raceFirst(
          Queue.offer(input, { logs, position }).pipe(Effect.zipRight(Effect.sync(() => Queue.unsafeOffer(bell, undefined)))),
          Deferred.await(stopRequested).pipe(Effect.zipRight(Effect.fail(stopped())))
        ).pipe(Effect.asVoid)
      })

    const status = Effect.sync((): WorkerStatus => ({
      worker,
      phase: state.phase,
      streamId: state.streamId,
      ...counters,
      inflightPayloads: tracker.count,
      inflightBytes: tracker.bytes,
      dictionaryEntries: dictionary.stats.entries,
      problem,
      problemAt,
      lastRejection
    }))

    return { offer, shutdown, abort, status } satisfies StreamWorker
  })
