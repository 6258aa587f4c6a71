import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Redacted } from "effect"
import { layerGrpcStreamTransport } from "../../src/layers/logs/GrpcStreamTransport.js"
import { MemoryIntakeOutput } from "../../src/layers/logs/IntakeOutputLive.js"
import { IntakeServer, layerIntakeServer } from "../../src/layers/logs/IntakeServer.js"
import type { IntakeFaults } from "../../src/services/logs/IntakeOptions.js"
import type { LogMessage } from "../../src/services/logs/LogMessage.js"
import { makeSender } from "../../src/services/logs/Sender.js"
import type { SenderConfigInput } from "../../src/services/logs/SenderConfig.js"
import { GrpcCode } from "../../src/services/logs/errors.js"
import { config, makeLogs } from "./helpers.js"

const KEY = "integration-key"

const startIntake = (faults: IntakeFaults = {}) =>
  Effect.gen(function*() {
    const output = yield* MemoryIntakeOutput.make
    const ctx = yield* Layer.build(
      layerIntakeServer({ host: "127.0.0.1", port: 0, apiKey: Redacted.make(KEY), faults }).pipe(Layer.provide(output.layer))
    )
    return { port: ctx.pipe((c) => c.unsafeMap.get(IntakeServer.key) as IntakeServer["Type"]).port, output }
  })

const fast: SenderConfigInput = {
  encoding: "zstd",
  batchMaxEntries: 100,
  batchMaxWaitMs: 50,
  halfCloseGraceMs: 1_000,
  machine: { backoffBaseMs: 20, backoffMaxMs: 200, shutdownTimeoutMs: 10_000 }
}

/** Sends `logs` through a sender on its own scope and returns the report with the sender's final status. */
const sendAll = (port: number, logs: ReadonlyArray<LogMessage>, input: SenderConfigInput = {}, apiKey = KEY) =>
  Effect.gen(function*() {
    const c = config({ ...fast, ...input, machine: { ...fast.machine, ...input.machine } })
    const sender = yield* makeSender(c)
    for (let i = 0; i < logs.length; i += 500) yield* sender.send(logs.slice(i, i + 500))
    const report = yield* sender.shutdown
    const status = yield* sender.status
    return { report, status }
  }).pipe(
    Effect.scoped,
    Effect.provide(layerGrpcStreamTransport({ host: "127.0.0.1", port, apiKey: Redacted.make(apiKey), insecure: true, encoding: input.encoding ?? "zstd" }))
  )

const key = (l: { message: string; timestamp: number; tags: ReadonlyArray<string>; status: string | null | undefined }) =>
  JSON.stringify([l.message, l.timestamp, l.tags.join(","), l.status ?? null])

/** Asserts output ⊇ input as multisets and returns how many extra copies (duplicates) arrived. */
const compare = (input: ReadonlyArray<LogMessage>, output: ReadonlyArray<{ message: string; timestamp: number; tags: ReadonlyArray<string>; status: string | null }>) => {
  const counts = new Map<string, number>()
  for (const o of output) counts.set(key(o), (counts.get(key(o)) ?? 0) + 1)
  for (const l of input) {
    const k = key({ message: l.content, timestamp: l.timestamp, tags: l.tags, status: l.status })
    const n = counts.get(k) ?? 0
    assert.isAbove(n, 0, `missing log ${k}`)
    counts.set(k, n - 1)
  }
  let extra = 0
  for (const n of counts.values()) extra += n
  return extra
}

describe("logs sender against the reference intake (loopback)", () => {
  // Every test but the refused key runs with raw content and with pattern extraction: replays after a rotation
  // must find every pattern and dictionary entry they reference, in the snapshot or in the replayed batches.
  for (const patternExtraction of [false, true]) {
    const mode = patternExtraction ? " (patterns)" : ""
    it.scopedLive(`a sender whose fiber is interrupted still shuts down gracefully: every log offered is delivered${mode}`, () =>
      Effect.gen(function*() {
        const { port, output } = yield* startIntake({ ackDelayMs: 50 })
        const logs = makeLogs(2_000)
        const offered = yield* Deferred.make<void>()
        const fiber = yield* Effect.gen(function*() {
          const sender = yield* makeSender(config({ ...fast, patternExtraction }))
          for (let i = 0; i < logs.length; i += 500) yield* sender.send(logs.slice(i, i + 500))
          yield* Deferred.succeed(offered, undefined)
          return yield* Effect.never
        }).pipe(
          Effect.scoped,
          Effect.provide(layerGrpcStreamTransport({ host: "127.0.0.1", port, apiKey: Redacted.make(KEY), insecure: true, encoding: "zstd" })),
          Effect.fork
        )
        yield* Deferred.await(offered)
        // Interruption closes the sender's scope from an interrupted fiber: its finalizer must still wait for acks.
        yield* Fiber.interrupt(fiber)
        assert.strictEqual(compare(logs, yield* output.all), 0)
      }))

    it.scopedLive(`delivers every log byte-exact with zstd and two workers on one channel${mode}`, () =>
      Effect.gen(function*() {
        const { port, output } = yield* startIntake()
        const logs = makeLogs(5_000)
        const { report } = yield* sendAll(port, logs, { workers: 2, patternExtraction })
        assert.deepStrictEqual([report.acked, report.unacked, report.rejected, report.complete], [5_000, 0, 0, true])
        assert.strictEqual(compare(logs, yield* output.all), 0)
      }))

    it.scopedLive(`stream resets every 3 batches: all delivered; duplicates only from counted retransmissions${mode}`, () =>
      Effect.gen(function*() {
        const { port, output } = yield* startIntake({ resetAfterBatches: 3, resets: 4 })
        const logs = makeLogs(3_000)
        const { report, status } = yield* sendAll(port, logs, { patternExtraction })
        assert.deepStrictEqual([report.acked, report.unacked], [3_000, 0])
        const dups = compare(logs, yield* output.all)
        const retransmitted = status.reduce((n, w) => n + w.retransmittedBatches, 0)
        assert.isAtLeast(status[0]!.rotations, 4)
        assert.isAtMost(dups, retransmitted * 100)
      }))

    it.scopedLive(`delayed acks: everything arrives once${mode}`, () =>
      Effect.gen(function*() {
        const { port, output } = yield* startIntake({ ackDelayMs: 30 })
        const logs = makeLogs(2_000)
        const { report } = yield* sendAll(port, logs, { patternExtraction })
        assert.deepStrictEqual([report.acked, report.unacked], [2_000, 0])
        assert.strictEqual(compare(logs, yield* output.all), 0)
      }))

    it.scopedLive(`withheld acks: the drain timeout rotates the stream and the data is replayed${mode}`, () =>
      Effect.gen(function*() {
        const { port, output } = yield* startIntake({ withholdAcksAfter: 3 })
        const logs = makeLogs(500)
        const { report, status } = yield* sendAll(port, logs, {
          patternExtraction,
          machine: { streamLifetimeMs: 150, drainTimeoutMs: 100, ackTimeoutMs: 60_000 }
        })
        assert.deepStrictEqual([report.acked, report.unacked], [500, 0])
        assert.isAbove(status[0]!.rotations, 1)
        compare(logs, yield* output.all)
      }))

    it.scopedLive(`rejected streams (UNAVAILABLE) back off and recover${mode}`, () =>
      Effect.gen(function*() {
        const { port, output } = yield* startIntake({ rejectStatus: GrpcCode.UNAVAILABLE, rejectCount: 3 })
        const logs = makeLogs(1_000)
        const { report, status } = yield* sendAll(port, logs, { patternExtraction })
        assert.deepStrictEqual([report.acked, report.unacked], [1_000, 0])
        assert.isAtLeast(status[0]!.rotations, 3)
        assert.strictEqual(compare(logs, yield* output.all), 0)
      }))
  }

  it.scopedLive("a wrong API key is fatal: no retry loop, reported with exact counts", () =>
    Effect.gen(function*() {
      const { port, output } = yield* startIntake()
      const logs = makeLogs(300)
      const { report, status } = yield* sendAll(port, logs, {}, "wrong-key")
      assert.deepStrictEqual([report.acked, report.unacked, report.complete], [0, 300, false])
      assert.strictEqual(report.workers[0]!.reason, "failed")
      assert.strictEqual(status[0]!.problem?.code, GrpcCode.UNAUTHENTICATED)
      assert.strictEqual(status[0]!.rotations, 0)
      assert.strictEqual((yield* output.all).length, 0)
    }))
})
