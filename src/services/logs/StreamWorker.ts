/**
 * The stream worker's driver. Everything that happens to a worker is a message in one mailbox — a producer's
 * chunk of logs, an acknowledgement, a stream opening or ending, a timer firing, stop, abort — and one fiber
 * takes them in order, turns each into an event for the reducer (`StreamWorkerMachine.step`) and performs the
 * commands it returns. The reducer decides everything (streams, timers, input, stop); the fiber owns the data
 * the decisions are about: the held input, the batcher (translator, dictionary), the inflight tracker and the
 * open streams (each a fiber of its own, `WorkerStream.ts`). After every turn it publishes the worker's
 * status, which callers wait on.
 *
 * The mailbox needs no capacity of its own: each producer has at most one chunk in it (an offer waits until
 * its chunk is taken), a stream at most one acknowledgement more than it was sent batches, and each timer and
 * stream fires once. Streams run in a FiberMap keyed by stream id and timers in a FiberMap keyed by kind, all
 * in the worker's scope; a stream's call is owned by that stream's own scope, so it is closed exactly once.
 */
import { Cause, Chunk, Clock, Deferred, Effect, FiberMap, Mailbox, Metric, Queue, Random, type Scope, type Stream, SubscriptionRef } from "effect"
import { encodeBatchData } from "./BatchCodec.js"
import { Batcher } from "./Batcher.js"
import { Dictionary } from "./Dictionary.js"
import { HeldInput, type OfferedChunk } from "./HeldInput.js"
import { InflightTracker } from "./InflightTracker.js"
import type { LogMessage, SourcePosition } from "./LogMessage.js"
import * as M from "./metrics.js"
import { PatternContent } from "./patterns/PatternContent.js"
import type { Payload } from "./Payload.js"
import type { SenderConfig } from "./SenderConfig.js"
import { GrpcCode, SenderStopped } from "./errors.js"
import { type Command, type Event, initialState, type MachineState, step, type StreamProblem, type TimerKind } from "./StreamWorkerMachine.js"
import { emptyCounters, type WorkerReport, type WorkerStatus } from "./StreamWorkerState.js"
import { releaseRefs } from "./StateRef.js"
import { StreamTransport } from "./StreamTransport.js"
import { rawContent, Translator } from "./Translator.js"
import { type LiveStream, runWorkerStream, type StreamMessage } from "./WorkerStream.js"

export type { WorkerReport, WorkerStatus } from "./StreamWorkerState.js"

export interface StreamWorker {
  /**
   * Hands over a chunk of logs; waits while the worker holds as many as it buffers and the inflight tracker is
   * full; fails once shutdown has begun. The chunk's `position`, if given, is reported on the acknowledgement
   * queue once all its logs are settled.
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
  /** The status now and after every turn of the driver: wait on it for a condition instead of polling. */
  readonly changes: Stream.Stream<WorkerStatus>
}

/** What the driver takes from its mailbox: reducer events, and the two that carry data or concern the batcher. */
type Message =
  | StreamMessage
  | Extract<Event, { readonly _tag: "Timer" | "Shutdown" | "Abort" }>
  | { readonly _tag: "Logs"; readonly chunk: OfferedChunk }
  /** The open batch waited `batchMaxWaitMs`: seal it. */
  | { readonly _tag: "FlushDue" }

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
    const mailbox = yield* Mailbox.make<Message>()
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
    const held = new HeldInput(config.inputQueueChunks)
    const counters = emptyCounters()
    /** The reducer's state: replaced by each `step`, read by the status. */
    let state: MachineState = initialState(seed)

    const statusNow = (): WorkerStatus => ({
      worker,
      phase: state.phase,
      streamId: state.streamId,
      stopping: state.stopping,
      logsAccepted: counters.logsAccepted,
      logsAcked: counters.logsAcked,
      logsRejected: counters.logsRejected,
      batchesSent: counters.batchesSent,
      batchesAcked: counters.batchesAcked,
      bytesOnWire: counters.bytesOnWire,
      heldChunks: held.size,
      inflightPayloads: tracker.count,
      inflightBytes: tracker.bytes,
      dictionaryEntries: dictionary.stats.entries,
      retransmittedBatches: counters.retransmittedBatches,
      rotations: counters.rotations,
      problem: counters.problem,
      problemAt: counters.problemAt,
      lastRejection: counters.lastRejection
    })
    const status = yield* SubscriptionRef.make(statusNow())

    /** From any fiber or callback: never waits; false only once the worker has ended (nothing is owed then). */
    const post = (m: Message): void => {
      mailbox.unsafeOffer(m)
    }
    const stopped = () => new SenderStopped({ message: `worker ${worker} is shutting down and takes no more logs` })

    const write = (s: LiveStream, batchId: number, data: Uint8Array): void => {
      s.session.send(batchId, data)
      s.written.n++
      counters.bytesOnWire += data.length
    }

    const send = (streamId: number, batchId: number, p: Payload) => {
      const s = live.get(streamId)
      // No session means the stream already ended; its failure event is queued and will rewind.
      if (s === undefined) return Effect.void
      write(s, batchId, p.data)
      counters.batchesSent++
      const retransmit = p.seq <= counters.lastSentSeq
      if (!retransmit) counters.lastSentSeq = p.seq
      else counters.retransmittedBatches++
      return Effect.all([
        Metric.increment(M.batchesSent),
        Metric.incrementBy(M.logsSent, p.logCount),
        Metric.incrementBy(M.bytesCompressed, p.data.length),
        Metric.incrementBy(M.bytesUncompressed, p.uncompressedBytes),
        retransmit ? Metric.increment(M.batchesRetransmitted) : Effect.void
      ], { discard: true })
    }

    /** Reports settled positions (the bounded queue's wait is the backpressure on the driver). */
    const report = (positions: ReadonlyArray<SourcePosition>): Effect.Effect<void> =>
      acknowledged === undefined ? Effect.void : Queue.offerAll(acknowledged, positions).pipe(Effect.asVoid)

    /** Moves sealed payloads into the tracker; returns how many. */
    const queueSealed = (): number => {
      const sealed = batcher.takeSealed()
      for (const p of sealed) tracker.append(p)
      return sealed.length
    }

    const armFlush = (): Effect.Effect<void> =>
      batcher.isEmpty ? Effect.void : FiberMap.run(timers, "flush", Effect.sleep(config.batchMaxWaitMs).pipe(
        Effect.zipRight(Effect.sync(() => post({ _tag: "FlushDue" })))
      ), { onlyIfMissing: true }).pipe(Effect.asVoid)

    /** Batches a chunk; what it seals is reported to the reducer through `followUps`. */
    const accept = ({ logs, position }: OfferedChunk, followUps: Array<Event>): Effect.Effect<void> => {
      let rejected = 0
      for (let i = 0; i < logs.length; i++) {
        const r = batcher.add(logs[i]!)
        if (r !== undefined) {
          rejected++
          counters.lastRejection = r
        }
      }
      if (position !== undefined) batcher.markPosition(position)
      counters.logsAccepted += logs.length - rejected
      counters.logsRejected += rejected
      const queued = queueSealed()
      if (queued > 0) followUps.push({ _tag: "Queued", count: queued })
      const last = counters.lastRejection
      const rejections = rejected === 0 || last === undefined ? Effect.void : Effect.zipRight(
        Metric.incrementBy(Metric.tagged(M.logsRejected, "reason", last.reason), rejected),
        Effect.logWarning("logs rejected", { count: rejected, last: last.message })
      )
      const settled = batcher.takeSettled()
      return Effect.zipRight(rejections, Effect.zipRight(settled.length === 0 ? Effect.void : report(settled), armFlush()))
    }

    /**
     * Performs one command. `offered` is the chunk of the `Offered` event being applied (the only event whose
     * commands concern it); events that result from the work (what was queued, the input's end) go to
     * `followUps`, applied once every command of this step is done.
     */
    const perform = (c: Command, offered: OfferedChunk | undefined, followUps: Array<Event>): Effect.Effect<void> => {
      switch (c._tag) {
        case "Open":
          return FiberMap.run(streams, c.streamId, runWorkerStream(transport, c.streamId, live, post, config.halfCloseGraceMs)).pipe(Effect.asVoid)
        case "Close": {
          const s = live.get(c.streamId)
          if (c.how === "halfClose" && s !== undefined) return Deferred.succeed(s.halfClose, undefined).pipe(Effect.asVoid)
          return FiberMap.remove(streams, c.streamId)
        }
        case "SendSnapshot": {
          const s = live.get(c.streamId)
          if (s === undefined) return Effect.void
          write(s, 0, encodeBatchData(tracker.snapshot(), config.encoding, config.compressionLevel).data)
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
            Effect.zipRight(Effect.sync(() => post({ _tag: "Timer", timer: c.timer, token: c.token })))
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
          counters.problem = c.problem
          return Effect.all([
            Effect.map(Clock.currentTimeMillis, (now) => { counters.problemAt = now }),
            Metric.increment(Metric.tagged(M.streamErrors, "class", c.problem.failureClass)),
            (c.terminal ? Effect.logError : Effect.logWarning)("logs stream failed", {
              class: c.problem.failureClass,
              code: c.problem.code,
              message: c.problem.message,
              terminal: c.terminal
            })
          ], { discard: true })
        case "Done":
          return Effect.void
        case "Hold":
          if (offered === undefined) return Effect.dieMessage("reducer held a chunk nobody offered")
          held.hold(offered)
          return Effect.void
        case "Refuse":
          if (offered === undefined) return Effect.dieMessage("reducer refused a chunk nobody offered")
          return Deferred.fail(offered.taken, stopped()).pipe(Effect.asVoid)
        case "Accept": {
          const chunk = held.take()
          return chunk === undefined ? Effect.dieMessage("reducer accepted more chunks than are held") : accept(chunk, followUps)
        }
        case "SealInput": {
          batcher.flush()
          const queued = queueSealed()
          if (queued > 0) followUps.push({ _tag: "Queued", count: queued })
          followUps.push({ _tag: "InputClosed" })
          return FiberMap.remove(timers, "flush")
        }
        case "InputFull":
          return Metric.increment(M.inflightFull)
      }
    }

    /** Applies one event: the reducer's step, then its commands, then the events they produced. */
    const dispatch = (e: Event, offered?: OfferedChunk): Effect.Effect<void> =>
      Effect.suspend(() => {
        const before = state.phase
        const [next, commands] = step(config.machine, state, e)
        state = next
        const transition = before === next.phase
          ? Effect.void
          : Metric.increment(Metric.tagged(Metric.tagged(M.stateTransitions, "from", before), "to", next.phase))
        if (commands.length === 0) return transition
        const followUps: Array<Event> = []
        return transition.pipe(
          Effect.zipRight(Effect.forEach(commands, (c) => perform(c, offered, followUps), { discard: true })),
          Effect.zipRight(Effect.suspend(() => Effect.forEach(followUps, (f) => dispatch(f), { discard: true })))
        )
      })

    /** Tells the reducer the tracker's room whenever it does not know it (each report may accept a chunk). */
    const reportRoom: Effect.Effect<void> = Effect.suspend(() => {
      const free = tracker.hasSpace
      if (state.phase === "stopped" || state.room === (free ? "free" : "full")) return Effect.void
      return Effect.zipRight(dispatch({ _tag: "Room", free }), reportRoom)
    })

    const handle = (m: Message): Effect.Effect<void> => {
      switch (m._tag) {
        case "Logs":
          return Effect.zipRight(dispatch({ _tag: "Offered" }, m.chunk), reportRoom)
        case "FlushDue": {
          batcher.flush()
          const queued = queueSealed()
          return queued === 0 ? Effect.void : Effect.zipRight(dispatch({ _tag: "Queued", count: queued }), reportRoom)
        }
        default:
          return Effect.zipRight(dispatch(m), reportRoom)
      }
    }

    const publish = Effect.suspend(() =>
      Effect.all([
        SubscriptionRef.set(status, statusNow()),
        Metric.set(M.inflightPayloads, tracker.count),
        Metric.set(M.inflightBytes, tracker.bytes),
        Metric.set(M.dictionarySize, dictionary.stats.entries)
      ], { discard: true })
    )

    /** One turn: every message waiting, in order, then the status. */
    const turn = Effect.flatMap(mailbox.takeAll, ([messages]) => Effect.forEach(messages, handle, { discard: true })).pipe(
      Effect.zipRight(publish)
    )

    const loop = dispatch({ _tag: "Start" }).pipe(
      Effect.zipRight(publish),
      Effect.zipRight(Effect.whileLoop({ while: () => state.phase !== "stopped", body: () => turn, step: () => {} }))
    )

    const complete = (graceful: boolean) =>
      Effect.gen(function*() {
        // Let half-closing streams receive their final status, then stop everything still running.
        if (graceful) yield* FiberMap.awaitEmpty(streams).pipe(Effect.timeoutOption(config.halfCloseGraceMs))
        yield* FiberMap.clear(streams)
        yield* FiberMap.clear(timers)
        // Close the mailbox: later offers fail at once, and the chunks still in it are refused.
        yield* mailbox.end
        const [rest] = yield* mailbox.takeAll
        for (const m of Chunk.toReadonlyArray(rest)) if (m._tag === "Logs") yield* Deferred.fail(m.chunk.taken, stopped())
        const heldLogs = held.drain(stopped())
        yield* publish
        yield* Deferred.succeed(done, {
          worker,
          acked: counters.logsAcked,
          unacked: tracker.logs + batcher.pendingLogs + heldLogs,
          rejected: counters.logsRejected,
          reason: state.done ?? "failed",
          problem: counters.problem
        })
      })

    // A defect in the driver must not leave producers or `shutdown` waiting forever: record it as a terminal
    // problem and report the exact counts like any other end.
    const crashed = (cause: Cause.Cause<unknown>) =>
      Effect.gen(function*() {
        yield* Effect.logError("logs stream worker crashed", cause)
        const problem: StreamProblem = { failureClass: "fatal", code: GrpcCode.INTERNAL, message: `stream worker crashed: ${Cause.squash(cause)}` }
        counters.problem = problem
        counters.problemAt = yield* Clock.currentTimeMillis
        state = { ...state, phase: "failed", problem, done: "failed" }
        yield* complete(false)
      })

    yield* loop.pipe(
      Effect.zipRight(complete(true)),
      Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : crashed(cause)),
      Effect.annotateLogs("worker", worker),
      Effect.interruptible,
      Effect.forkScoped
    )

    const shutdown = Effect.zipRight(Effect.sync(() => post({ _tag: "Shutdown" })), Deferred.await(done))
    const abort = Effect.zipRight(Effect.sync(() => post({ _tag: "Abort" })), Deferred.await(done))

    // Leaving the scope without an explicit shutdown still shuts down gracefully, even when the owner was
    // interrupted (finalizers run uninterruptibly). The reducer bounds the wait: it gives up after
    // `shutdownTimeoutMs` without an acknowledgement, and the payloads to acknowledge are finite once input stops.
    yield* Effect.addFinalizer(() => shutdown)

    const offer = (logs: ReadonlyArray<LogMessage>, position?: SourcePosition): Effect.Effect<void, SenderStopped> =>
      Effect.flatMap(Deferred.make<void, SenderStopped>(), (taken) =>
        mailbox.unsafeOffer({ _tag: "Logs", chunk: { logs, position, taken } }) ? Deferred.await(taken) : Effect.fail(stopped()))

    return { offer, shutdown, abort, status: SubscriptionRef.get(status), changes: status.changes } satisfies StreamWorker
  })
