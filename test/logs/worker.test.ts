import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Metric, Option, Queue, Scope, Stream, TestClock, TestServices } from "effect"
import type { SourcePosition } from "../../src/services/logs/LogMessage.js"
import * as M from "../../src/services/logs/metrics.js"
import { type FakeStream, makeFakeTransport } from "../../src/layers/logs/FakeStreamTransport.js"
import type { SenderConfigInput } from "../../src/services/logs/SenderConfig.js"
import { GrpcCode } from "../../src/services/logs/errors.js"
import { summarize } from "../../src/services/logs/Sender.js"
import { makeStreamWorker, type StreamWorker, type WorkerStatus } from "../../src/services/logs/StreamWorker.js"
import { config, makeLogs } from "./helpers.js"

const common: SenderConfigInput = {
  batchMaxEntries: 10,
  halfCloseGraceMs: 100,
  machine: { streamLifetimeMs: 60_000, drainTimeoutMs: 5_000, backoffBaseMs: 1_000, backoffMaxMs: 8_000, ackTimeoutMs: 600_000, shutdownTimeoutMs: 10_000 }
}

/**
 * Waits until the worker's published status satisfies `cond` (which may also look at the fake transport: the
 * status is published after every turn of the driver). Bounded by 5 s of real time, so a condition that never
 * holds fails the test instead of hanging it.
 */
const until = (worker: StreamWorker, what: string, cond: (status: WorkerStatus) => boolean) =>
  Effect.raceFirst(
    worker.changes.pipe(Stream.filter(cond), Stream.runHead, Effect.flatMap(Option.match({
      onNone: () => Effect.dieMessage(`status ended before: ${what}`),
      onSome: Effect.succeed
    }))),
    TestServices.provideLive(Effect.sleep("5 seconds")).pipe(Effect.zipRight(Effect.dieMessage(`timed out waiting for: ${what}`)))
  )

/** A worker on `base` plus `input`, over a fake transport. */
const setupWith = (base: SenderConfigInput) => (input: SenderConfigInput = {}, autoAck = false) =>
  Effect.gen(function*() {
    const fake = yield* makeFakeTransport({ autoAck })
    const worker = yield* makeStreamWorker(config({ ...base, ...input, machine: { ...base.machine, ...input.machine } })).pipe(Effect.provide(fake.layer))
    return { fake, worker }
  })

/** Shuts down under TestClock: moves time past the shutdown deadline if acks never come. */
const shutdown = (worker: StreamWorker) =>
  Effect.gen(function*() {
    const f = yield* Effect.fork(worker.shutdown)
    yield* TestClock.adjust("11 seconds")
    return yield* Fiber.join(f)
  })

/** The n-th stream (1-based), once it has opened and the worker has sent its snapshot. */
const stream = (worker: StreamWorker, fake: { streams: ReadonlyArray<FakeStream> }, n: number) =>
  Effect.map(until(worker, `stream ${n} opened`, () => (fake.streams[n - 1]?.batches.length ?? 0) >= 1), () => fake.streams[n - 1]!)
const dataLogs = (s: FakeStream) => s.batches.filter((b) => b.batchId > 0).flatMap((b) => b.logs.map((l) => l.message))

// Every case runs with raw content and with pattern extraction: rotations, replays and snapshots must carry the
// patterns and dictionary entries the replayed batches reference.
describe.each([false, true])("StreamWorker with the fake transport (patterns: %s)", (patternExtraction) => {
  const base: SenderConfigInput = { ...common, patternExtraction }
  const setup = setupWith(base)

  it.scoped("chunk positions come back as data on the acknowledgement queue once their batches are acknowledged", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeTransport({ autoAck: false })
      const acknowledged = yield* Queue.bounded<SourcePosition>(16)
      const worker = yield* makeStreamWorker(config(base), 0, acknowledged).pipe(Effect.provide(fake.layer))
      const logs = makeLogs(25)
      // Batches of 10: chunk a ends in batch 1, chunk b in batch 3 (sealed at shutdown).
      yield* worker.offer(logs.slice(0, 8), { source: 1, start: 0, end: 80 })
      yield* worker.offer(logs.slice(8, 25), { source: 1, start: 80, end: 250 })
      const s = yield* stream(worker, fake, 1)
      yield* until(worker, "two batches sent", (st) => st.batchesSent >= 2)
      assert.strictEqual(yield* Queue.size(acknowledged), 0, "nothing settles before an ack")
      s.ack(0)
      s.ack(1)
      const first = yield* Queue.take(acknowledged)
      assert.deepStrictEqual(first, { source: 1, start: 0, end: 80 })
      const shutdown = yield* Effect.fork(worker.shutdown)
      yield* until(worker, "the last batch sent", (st) => st.batchesSent === 3)
      s.ack(2)
      yield* until(worker, "batch 2 acknowledged", (st) => st.batchesAcked === 2)
      assert.strictEqual(yield* Queue.size(acknowledged), 0, "chunk b is not settled until its last batch is")
      s.ack(3)
      assert.deepStrictEqual(yield* Queue.take(acknowledged), { source: 1, start: 80, end: 250 })
      assert.strictEqual((yield* Fiber.join(shutdown)).acked, 25)
    }))

  it.scoped("delivers logs byte-exact, acks them and half-closes on shutdown", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup({}, true)
      const ackedBefore = (yield* Metric.value(M.logsAcked)).count
      const logs = makeLogs(95)
      yield* worker.offer(logs)
      const report = yield* worker.shutdown
      assert.strictEqual((yield* Metric.value(M.logsAcked)).count - ackedBefore, 95)
      assert.deepStrictEqual(report, { worker: 0, acked: 95, unacked: 0, rejected: 0, reason: "drained", problem: undefined })
      const got = fake.received()
      assert.deepStrictEqual(got.map((g) => [g.message, g.timestamp, g.tags, g.status]), logs.map((l) => [l.content, l.timestamp, l.tags.join(","), l.status]))
      assert.deepStrictEqual(fake.streams.flatMap((s) => s.errors), [])
      assert.strictEqual(fake.streams[0]!.decoder.stats.patternCount > 0, patternExtraction)
      assert.isTrue(fake.streams[0]!.halfClosed)
      assert.isFalse(fake.streams[0]!.cancelled)
    }))

  it.scoped("flushes a partial batch after the max wait", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup({ batchMaxWaitMs: 5_000 }, true)
      yield* worker.offer(makeLogs(3))
      const s = yield* stream(worker, fake, 1)
      yield* until(worker, "the chunk taken in", (st) => st.logsAccepted === 3)
      yield* TestClock.adjust("4999 millis")
      assert.strictEqual(s.batches.length, 1)
      yield* TestClock.adjust("1 millis")
      yield* until(worker, "batch 1", () => s.batches.length === 2)
      assert.strictEqual(dataLogs(s).length, 3)
      yield* shutdown(worker)
    }))

  it.scoped("rotation without unacked data: immediate new stream, traffic continues", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup({}, true)
      yield* worker.offer(makeLogs(10))
      const s1 = yield* stream(worker, fake, 1)
      yield* until(worker, "acked", (st) => st.logsAcked === 10)
      yield* TestClock.adjust("67 seconds") // past lifetime + 10 % jitter
      const s2 = yield* stream(worker, fake, 2)
      assert.isTrue(s1.halfClosed)
      yield* worker.offer(makeLogs(10, 10))
      yield* until(worker, "stream 2 batch", () => s2.batches.length === 2)
      assert.deepStrictEqual(s2.batches.map((b) => b.batchId), [0, 1])
      const report = yield* shutdown(worker)
      assert.strictEqual(report.acked, 20)
      assert.deepStrictEqual(fake.streams.flatMap((s) => s.errors), [])
    }))

  it.scoped("rotation with unacked data: draining holds new input; the last ack rotates; buffered batch goes on the new stream", () =>
    Effect.gen(function*() {
      // The drain timeout outlasts the lifetime's jitter window, so one clock move lands in draining.
      const { fake, worker } = yield* setup({ machine: { drainTimeoutMs: 20_000 } })
      yield* worker.offer(makeLogs(10))
      const s1 = yield* stream(worker, fake, 1)
      yield* until(worker, "batch 1 sent", (st) => st.batchesSent === 1)
      yield* TestClock.adjust("67 seconds")
      yield* until(worker, "draining", (st) => st.phase === "draining")
      yield* worker.offer(makeLogs(10, 10))
      const st = yield* until(worker, "the second chunk batched", (st) => st.logsAccepted === 20 && st.inflightPayloads === 2)
      assert.strictEqual(st.batchesSent, 1)
      assert.strictEqual(s1.batches.length, 2) // nothing new on a draining stream
      s1.ack(0)
      s1.ack(1)
      const s2 = yield* stream(worker, fake, 2)
      yield* until(worker, "buffered batch sent", () => s2.batches.length === 2)
      assert.deepStrictEqual(dataLogs(s2), makeLogs(10, 10).map((l) => l.content))
      s2.ackAll()
      const report = yield* shutdown(worker)
      assert.deepStrictEqual([report.acked, report.unacked], [20, 0])
    }))

  it.scoped("drain timeout: unacked batches are retransmitted after the snapshot and decode on the new stream", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup()
      const logs = makeLogs(25)
      yield* worker.offer(logs)
      yield* TestClock.adjust("5 seconds") // flush the partial third batch
      const s1 = yield* stream(worker, fake, 1)
      yield* until(worker, "3 batches", () => s1.batches.length === 4)
      s1.ack(0)
      s1.ack(1)
      yield* TestClock.adjust("67 seconds") // lifetime (54–66 s) and, within it or next, the 5 s drain timeout
      yield* TestClock.adjust("5 seconds")
      const s2 = yield* stream(worker, fake, 2)
      yield* until(worker, "replay", () => s2.batches.length === 3)
      assert.isTrue(s1.cancelled)
      assert.deepStrictEqual(s2.batches.map((b) => b.batchId), [0, 1, 2])
      assert.deepStrictEqual(dataLogs(s2), logs.slice(10).map((l) => l.content))
      assert.deepStrictEqual(s2.errors, [])
      // With patterns, the replayed batches use the pattern batch 1 defined: the snapshot carried it.
      assert.strictEqual(s2.decoder.stats.patternCount > 0, patternExtraction)
      assert.strictEqual((yield* worker.status).retransmittedBatches, 2)
      s2.ackAll()
      const report = yield* shutdown(worker)
      assert.deepStrictEqual([report.acked, report.unacked], [25, 0])
    }))

  it.scoped("acks from an old stream are ignored", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup()
      yield* worker.offer(makeLogs(10))
      const s1 = yield* stream(worker, fake, 1)
      yield* until(worker, "sent", () => s1.batches.length === 2)
      s1.end(GrpcCode.UNAVAILABLE, "reset")
      yield* TestClock.adjust("1 seconds")
      const s2 = yield* stream(worker, fake, 2)
      yield* until(worker, "replayed", () => s2.batches.length === 2)
      // The old stream's late acks must not pop anything. A chunk offered after them is taken after them (one
      // mailbox, in order): once the status shows it taken, the acks have been applied.
      s1.ended = undefined
      s1.ack(0)
      s1.ack(1)
      yield* worker.offer(makeLogs(1, 10))
      const st = yield* until(worker, "the chunk after the stale acks taken", (st) => st.logsAccepted === 11)
      assert.strictEqual(st.logsAcked, 0)
      fake.autoAck = true
      s2.ackAll()
      const report = yield* shutdown(worker)
      assert.deepStrictEqual([report.acked, report.unacked], [11, 0])
    }))

  for (const [name, acks] of [["out-of-order", [0, 2]], ["duplicate", [0, 1, 1]]] as const) {
    it.scoped(`${name} ack abandons the stream; data is resent on the next one`, () =>
      Effect.gen(function*() {
        const { fake, worker } = yield* setup()
        yield* worker.offer(makeLogs(30))
        const s1 = yield* stream(worker, fake, 1)
        yield* until(worker, "sent", () => s1.batches.length === 4)
        for (const a of acks) s1.ack(a)
        yield* until(worker, "abandoned", () => s1.cancelled)
        yield* TestClock.adjust("1 seconds")
        const s2 = yield* stream(worker, fake, 2)
        yield* until(worker, "resent", () => s2.batches.length >= 3)
        s2.ackAll()
        const report = yield* shutdown(worker)
        assert.deepStrictEqual([report.acked, report.unacked], [30, 0])
        assert.strictEqual(new Set(fake.received().map((l) => l.message)).size, 30)
      }))
  }

  it.scoped("backpressure: a full inflight tracker holds producers until acks free room", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup({ batchMaxEntries: 10, inflight: { maxPayloads: 2 }, inputQueueChunks: 1 })
      const producer = yield* Effect.fork(Effect.forEach([0, 10, 20, 30, 40], (from) => worker.offer(makeLogs(10, from)), { discard: true }))
      const s1 = yield* stream(worker, fake, 1)
      yield* until(worker, "2 batches", () => s1.batches.length === 3)
      // Chunk 3 is buffered (its producer released), chunk 4 held with its producer waiting.
      const st = yield* until(worker, "two chunks held", (st) => st.heldChunks === 2)
      assert.strictEqual(st.inflightPayloads, 2)
      assert.isNull(producer.unsafePoll())
      fake.autoAck = true
      s1.ackAll()
      yield* Fiber.join(producer)
      const report = yield* shutdown(worker)
      assert.deepStrictEqual([report.acked, report.unacked], [50, 0])
    }))

  it.scoped("a chunk offered once shutdown has begun is refused; what was offered before is delivered", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup()
      yield* worker.offer(makeLogs(10))
      const s = yield* stream(worker, fake, 1)
      const stopping = yield* Effect.fork(worker.shutdown)
      yield* until(worker, "stopping", (st) => st.stopping)
      const refused = yield* worker.offer(makeLogs(5, 10)).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "SenderStopped")
      fake.autoAck = true
      s.ackAll()
      const report = yield* Fiber.join(stopping)
      assert.deepStrictEqual([report.acked, report.unacked, report.reason], [10, 0, "drained"])
      assert.deepStrictEqual(dataLogs(s), makeLogs(10).map((l) => l.content))
    }))

  it.scoped("by default one chunk is buffered ahead of a full tracker: the next producer waits for room", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup({ inflight: { maxPayloads: 1 } })
      let taken = 0
      const producer = yield* Effect.fork(Effect.forEach([0, 10, 20, 30], (from) =>
        worker.offer(makeLogs(10, from)).pipe(Effect.tap(() => Effect.sync(() => { taken += 10 }))), { discard: true }))
      const s = yield* stream(worker, fake, 1)
      // Chunk 1 fills the tracker, chunk 2 is buffered, chunk 3's producer waits: lines are not read further ahead.
      yield* until(worker, "two chunks held", (st) => st.heldChunks === 2)
      assert.strictEqual(taken, 20)
      fake.autoAck = true
      s.ackAll()
      yield* Fiber.join(producer)
      const report = yield* shutdown(worker)
      assert.deepStrictEqual([report.acked, report.unacked], [40, 0])
    }))

  it.scoped("abort with chunks held: the buffered chunk ends unacknowledged, the producer still waiting is refused", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup({ inflight: { maxPayloads: 1 }, inputQueueChunks: 1 })
      let taken = 0
      const producer = yield* Effect.fork(Effect.forEach([0, 10, 20], (from) =>
        worker.offer(makeLogs(10, from)).pipe(Effect.tap(() => Effect.sync(() => { taken += 10 }))), { discard: true }))
      yield* stream(worker, fake, 1)
      // Chunk 1 fills the tracker, chunk 2 is buffered (its producer released), chunk 3's producer waits.
      yield* until(worker, "two chunks held", (st) => st.heldChunks === 2)
      assert.strictEqual(taken, 20)
      const report = yield* worker.abort
      const refused = yield* Fiber.join(producer).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "SenderStopped")
      assert.deepStrictEqual([report.acked, report.unacked, report.rejected, report.reason], [0, 20, 0, "aborted"])
      assert.strictEqual((yield* worker.status).heldChunks, 0)
    }))

  it.scoped("UNAVAILABLE opens back off and recover; UNAUTHENTICATED is fatal, stops retrying and is reported", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup({}, true)
      fake.failOpens(2, GrpcCode.UNAVAILABLE)
      yield* worker.offer(makeLogs(10))
      yield* TestClock.adjust("1 seconds")
      yield* TestClock.adjust("2 seconds")
      const s = yield* stream(worker, fake, 1)
      yield* until(worker, "acked", (st) => st.logsAcked === 10)
      s.end(GrpcCode.UNAUTHENTICATED, "bad key")
      fake.failOpens(1, GrpcCode.UNAUTHENTICATED)
      yield* TestClock.adjust("1 seconds")
      yield* worker.offer(makeLogs(5, 10))
      yield* TestClock.adjust("10 minutes")
      const st = yield* until(worker, "failed", (st) => st.phase === "failed")
      assert.strictEqual(st.problem?.code, GrpcCode.UNAUTHENTICATED)
      assert.isNumber(st.problemAt)
      assert.isAtMost(st.problemAt!, 4_000, "when the fatal status arrived (test clock), not when asked")
      assert.strictEqual(fake.streams.length, 1) // no retry after the fatal status
      const report = yield* worker.shutdown
      assert.deepStrictEqual([report.acked, report.unacked, report.reason], [10, 5, "failed"])
    }))

  it.scoped("stream fails, then shutdown before a new stream exists: no defect, exact counts, nothing left open", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup()
      yield* worker.offer(makeLogs(20))
      const s1 = yield* stream(worker, fake, 1)
      yield* until(worker, "sent", () => s1.batches.length === 3)
      s1.ack(0)
      s1.ack(1)
      s1.end(GrpcCode.UNAVAILABLE, "reset")
      fake.failOpens(100, GrpcCode.UNAVAILABLE)
      const st = yield* until(worker, "disconnected", (st) => st.phase === "disconnected")
      assert.strictEqual(st.logsAcked, 10)
      const report = yield* shutdown(worker)
      assert.deepStrictEqual(report, { worker: 0, acked: 10, unacked: 10, rejected: 0, reason: "deadline", problem: report.problem })
      assert.isTrue(fake.streams.every((s) => s.ended !== undefined))
    }))

  it.live("shutdown while the translator is mid-message: no defect, no leaked fiber, exact counts", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeTransport({ autoAck: true })
      const scope = yield* Scope.make()
      const worker = yield* makeStreamWorker(config({ ...base, batchMaxEntries: 500 })).pipe(Effect.provide(fake.layer), Scope.extend(scope))
      let accepted = 0
      const firstTaken = yield* Deferred.make<void>()
      const producer = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 40 }, (_, i) => i), (i) =>
          worker.offer(makeLogs(2_000, i * 2_000)).pipe(Effect.tap(() => {
            accepted += 2_000
            return Deferred.succeed(firstTaken, undefined)
          })), { discard: true })
      )
      yield* Deferred.await(firstTaken)
      // Close the worker's scope while chunks are still being translated and sent.
      const exit = yield* Scope.close(scope, Exit.void).pipe(Effect.exit)
      assert.isTrue(Exit.isSuccess(exit))
      const producerExit = yield* Fiber.await(producer)
      assert.isTrue(Exit.isSuccess(producerExit) || Exit.isFailure(producerExit) && !Cause.isDie(producerExit.cause))
      const report = yield* worker.shutdown
      assert.strictEqual(report.acked + report.unacked + report.rejected, accepted)
      assert.isBelow(accepted, 80_000)
      assert.strictEqual(report.acked, new Set(fake.received().map((l) => l.message)).size)
      assert.isTrue(fake.streams.every((s) => s.ended !== undefined))
    }))

  it.scoped("a defect inside the driver ends the worker with a report instead of hanging producers or shutdown", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup()
      fake.throwOnSend = true
      yield* worker.offer(makeLogs(10))
      yield* until(worker, "stream 1 opened", () => fake.streams.length === 1)
      const report = yield* worker.shutdown
      assert.deepStrictEqual([report.acked, report.unacked, report.reason], [0, 10, "failed"])
      assert.include(report.problem?.message ?? "", "send threw")
      const offered = yield* worker.offer(makeLogs(1)).pipe(Effect.flip)
      assert.strictEqual(offered._tag, "SenderStopped")
      assert.isTrue(fake.streams.every((s) => s.ended !== undefined))
    }))

  it.scoped("a crashed worker shows failed, and its report is never complete, even with nothing left unacked", () =>
    Effect.gen(function*() {
      const { fake, worker } = yield* setup({}, true)
      // The batch is sent and acked; then the transport throws on the next stream's snapshot: the driver
      // dies with nothing left unacked.
      yield* worker.offer(makeLogs(1))
      yield* stream(worker, fake, 1)
      yield* TestClock.adjust("6 seconds") // the batch's max wait: it is sent and acked
      yield* until(worker, "the batch acked", (st) => st.logsAcked === 1)
      fake.throwOnSend = true
      yield* TestClock.adjust("70 seconds") // past the stream lifetime: rotation, a new stream, its snapshot throws
      yield* until(worker, "stream 2 opened", () => fake.streams.length === 2)
      const report = yield* worker.shutdown
      assert.deepStrictEqual([report.unacked, report.reason], [0, "failed"])
      assert.strictEqual((yield* worker.status).phase, "failed")
      assert.isFalse(summarize([report]).complete)
    }))
})

