import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Zlib from "node:zlib"
import { Deferred, Effect, Fiber, Layer, Metric, Redacted, Stream, SubscriptionRef } from "effect"
import { type FileIo, layerFile, nodeFileIo } from "../../src/layers/logs/IntakeOutputLive.js"
import { inflatedBytes, IntakeServer, layerIntakeServer } from "../../src/layers/logs/IntakeServer.js"
import { inflateChunkBytes } from "../../src/services/logs/ContentEncoding.js"
import type { Datum } from "../../src/services/logs/Datum.js"
import { DynamicValue } from "../../src/services/logs/Datum.js"
import type { IntakeOptions } from "../../src/services/logs/IntakeOptions.js"
import { IntakeOutput } from "../../src/services/logs/IntakeOutput.js"
import type { IntakeBatch } from "../../src/services/logs/IntakeRecord.js"
import { openTestStream } from "./support/testClient.js"

const KEY = "k"

const startIntake = <E>(output: Layer.Layer<IntakeOutput, E>, options: Partial<IntakeOptions> = {}) =>
  Effect.gen(function*() {
    const ctx = yield* Layer.build(
      layerIntakeServer({ host: "127.0.0.1", port: 0, apiKey: Redacted.make(KEY), ...options }).pipe(Layer.provide(output))
    )
    return ctx.unsafeMap.get(IntakeServer.key) as IntakeServer["Type"]
  })

const raw = (timestamp: number, text: string, tags?: DynamicValue): Datum => ({
  _tag: "Log", timestamp, content: { _tag: "Raw", raw: text }, tags, uuid: undefined, status: undefined
})

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "intake-bounds-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const nullOutput = Layer.succeed(IntakeOutput, IntakeOutput.of({ write: () => Effect.void }))

describe("per-batch and per-stream limits (rejected with INVALID_ARGUMENT naming the limit)", () => {
  it.scopedLive("datums per batch: at the limit accepted, over it rejected", () =>
    Effect.gen(function*() {
      const server = yield* startIntake(nullOutput, { maxBatchDatums: 1000 })
      const s = yield* openTestStream(server.port, { apiKey: KEY })
      yield* s.send(1, Array.from({ length: 1000 }, () => raw(0, "")))
      yield* s.awaitAcks(1)
      yield* s.send(2, Array.from({ length: 1001 }, () => raw(0, "")))
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.INVALID_ARGUMENT)
      assert.match(st.details, /batch 2: more than 1000 datums \(the intake's max-batch-datums limit\)/)
      assert.deepStrictEqual(s.acks, [1])
    }))

  it.scopedLive("reconstructed size: a small batch that expands through the dictionary is rejected", () =>
    Effect.gen(function*() {
      const server = yield* startIntake(nullOutput, { maxBatchLogBytes: 1024 * 1024 })
      const s = yield* openTestStream(server.port, { apiKey: KEY })
      // 100 KB of tags referenced by 20 logs: 2 MB rebuilt from a 100 KB batch.
      yield* s.send(1, [{ _tag: "DictEntryDefine", id: 1, value: "t:" + "x".repeat(100_000) }])
      yield* s.send(2, Array.from({ length: 20 }, () => raw(0, "", DynamicValue.dict(1))))
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.INVALID_ARGUMENT)
      assert.match(st.details, /batch 2: datum 10: reconstructed logs exceed 1048576 bytes \(the intake's max-batch-log-bytes limit\)/)
    }))

  it.scopedLive("stream state: dictionary growth over max-state-bytes is rejected", () =>
    Effect.gen(function*() {
      const server = yield* startIntake(nullOutput, { maxStateBytes: 64 * 1024 })
      const s = yield* openTestStream(server.port, { apiKey: KEY })
      yield* s.send(1, Array.from({ length: 10 }, (_, i): Datum => ({ _tag: "DictEntryDefine", id: i + 1, value: "v".repeat(4000) })))
      yield* s.awaitAcks(1)
      yield* s.send(2, Array.from({ length: 10 }, (_, i): Datum => ({ _tag: "DictEntryDefine", id: i + 100, value: "v".repeat(4000) })))
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.INVALID_ARGUMENT)
      assert.match(st.details, /batch 2: datum \d: dictionary and patterns exceed 65536 bytes \(the intake's max-state-bytes limit\)/)
    }))
})

describe("a decompression bomb costs what it reads, not what it inflates to", () => {
  it.scopedLive("a zstd bomb (1.4 KB → 2.8 M empty logs) is rejected at max-batch-datums after inflating about that many datums", () =>
    Effect.gen(function*() {
      const emptyLog = Buffer.from([0x0a, 0x04, 0x32, 0x02, 0x1a, 0x00])
      const bomb = Zlib.zstdCompressSync(Buffer.alloc(Math.floor((16 * 1024 * 1024) / 6) * 6).fill(emptyLog), {
        params: { [Zlib.constants.ZSTD_c_compressionLevel]: 19 }
      })
      const server = yield* startIntake(nullOutput)
      const before = (yield* Metric.value(inflatedBytes)).count
      const s = yield* openTestStream(server.port, { apiKey: KEY, encoding: "zstd" })
      yield* s.sendRaw(1, bomb)
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.INVALID_ARGUMENT)
      assert.match(st.details, /batch 1: more than 50000 datums \(the intake's max-batch-datums limit\)/)
      const inflated = (yield* Metric.value(inflatedBytes)).count - before
      assert.isAtMost(inflated, 50_001 * emptyLog.length + inflateChunkBytes)
    }))
})

describe("the memory budget of all streams", () => {
  it.scopedLive("when it is spent, streams wait before reading instead of growing; all is acked once writes finish", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const requested = yield* SubscriptionRef.make<ReadonlyArray<string>>([])
      const gated = Layer.succeed(IntakeOutput, IntakeOutput.of({
        write: (b: IntakeBatch) =>
          SubscriptionRef.update(requested, (r) => [...r, `${b.stream}/${b.batch}`]).pipe(Effect.zipRight(Deferred.await(gate)))
      }))
      const budget = 1024 * 1024
      const server = yield* startIntake(gated, { maxBufferedBytes: budget })
      // Registered after the intake, so it runs before the intake closes: a failed assertion cannot leave a write blocked.
      yield* Effect.addFinalizer(() => Deferred.succeed(gate, undefined))
      let peak = 0
      const watcher = yield* Effect.fork(Stream.runForEach(server.memory.changes, (m) => Effect.sync(() => { peak = Math.max(peak, m.bufferedBytes) })))
      const waiting = (n: number) => server.memory.changes.pipe(Stream.takeUntil((m) => m.waitingBatches >= n), Stream.runDrain)
      const big = "y".repeat(300 * 1024)
      const a = yield* openTestStream(server.port, { apiKey: KEY, encoding: "identity" })
      const b = yield* openTestStream(server.port, { apiKey: KEY, encoding: "identity" })
      // a1 is being written (blocked), a2 is decoded and queued behind it, a3 is decoded and waits for the
      // queue: their logs hold 900 KB of the 1 MiB, so b1 (300 KB) is not admitted.
      for (const id of [1, 2, 3]) yield* a.send(id, [raw(1, big)])
      yield* b.send(1, [raw(1, big)])
      yield* waiting(1)
      assert.deepStrictEqual(yield* SubscriptionRef.get(requested), ["1/1"])
      assert.deepStrictEqual([a.acks, b.acks], [[], []])
      yield* Deferred.succeed(gate, undefined)
      yield* a.awaitAcks(3)
      yield* b.awaitAcks(1)
      assert.deepStrictEqual(a.acks, [1, 2, 3])
      assert.deepStrictEqual((yield* SubscriptionRef.get(requested)).length, 4)
      yield* a.end
      yield* b.end
      assert.strictEqual((yield* a.status).code, grpc.status.OK)
      assert.strictEqual((yield* b.status).code, grpc.status.OK)
      // Over the budget by at most one batch's payload and logs.
      assert.isAtMost(peak, budget + 2 * big.length + 4096)
      assert.deepStrictEqual(yield* server.memory.current, { bufferedBytes: 0, waitingBatches: 0 })
      yield* Fiber.interrupt(watcher)
    }))
})

describe("admission to the budget is fair per stream", () => {
  it.scopedLive("with bulky streams holding the budget and queueing more, a stream holding nothing is admitted and acked first", () =>
    Effect.gen(function*() {
      const big = "y".repeat(300 * 1024)
      // The bulky streams' writes wait for the gate; the healthy stream's are written at once.
      const gate = yield* Deferred.make<void>()
      const requested = yield* SubscriptionRef.make(0)
      const gated = Layer.succeed(IntakeOutput, IntakeOutput.of({
        write: (b: IntakeBatch) =>
          b.logs.some((l) => l.message === big)
            ? SubscriptionRef.update(requested, (n) => n + 1).pipe(Effect.zipRight(Deferred.await(gate)))
            : Effect.void
      }))
      const server = yield* startIntake(gated, { maxBufferedBytes: 1024 * 1024 })
      yield* Effect.addFinalizer(() => Deferred.succeed(gate, undefined))
      const bulky = [
        yield* openTestStream(server.port, { apiKey: KEY, encoding: "identity" }),
        yield* openTestStream(server.port, { apiKey: KEY, encoding: "identity" }),
        yield* openTestStream(server.port, { apiKey: KEY, encoding: "identity" })
      ]
      // Each bulky stream's first batch is being written (900 KB of the 1 MiB held), its second waits for room.
      for (const b of bulky) yield* b.send(1, [raw(1, big)])
      yield* requested.changes.pipe(Stream.takeUntil((n) => n >= 3), Stream.runDrain)
      for (const b of bulky) yield* b.send(2, [raw(2, big)])
      yield* server.memory.changes.pipe(Stream.takeUntil((m) => m.waitingBatches >= 3), Stream.runDrain)
      // A stream that holds nothing goes before the batches queued earlier: its small batch fits now.
      const healthy = yield* openTestStream(server.port, { apiKey: KEY, encoding: "identity" })
      yield* healthy.send(1, [raw(3, "healthy")])
      yield* healthy.awaitAcks(1)
      assert.deepStrictEqual(bulky.map((b) => b.acks), [[], [], []])
      assert.strictEqual((yield* server.memory.current).waitingBatches, 3)
      yield* Deferred.succeed(gate, undefined)
      for (const b of bulky) yield* b.awaitAcks(2)
      for (const s of [...bulky, healthy]) yield* s.end
      for (const s of [...bulky, healthy]) assert.strictEqual((yield* s.status).code, grpc.status.OK)
    }))
})

describe("output failures are loud and recoverable", () => {
  it.scopedLive("a failed write ends the stream unacknowledged (UNAVAILABLE), is counted, leaves no partial record; the next stream is written", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = Path.join(dir, "out.jsonl")
      let failNext = false
      const io: FileIo = {
        ...nodeFileIo,
        writev: async (fd, chunks, position) => {
          if (!failNext) return nodeFileIo.writev(fd, chunks, position)
          failNext = false
          await nodeFileIo.writev(fd, [chunks[0]!.subarray(0, 7)], position)
          throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" })
        }
      }
      const server = yield* startIntake(layerFile(path, io))
      const first = yield* openTestStream(server.port, { apiKey: KEY })
      yield* first.send(1, [raw(1, "kept")])
      yield* first.awaitAcks(1)
      failNext = true
      yield* first.send(2, [raw(2, "not written")])
      const st = yield* first.status
      assert.strictEqual(st.code, grpc.status.UNAVAILABLE)
      assert.match(st.details, /batch 2 was not written: cannot write to .*out\.jsonl: ENOSPC/)
      assert.deepStrictEqual(first.acks, [1])
      assert.strictEqual((yield* server.stats).errors, 1)
      const second = yield* openTestStream(server.port, { apiKey: KEY })
      yield* second.send(1, [raw(3, "resent")])
      yield* second.awaitAcks(1)
      const lines = Fs.readFileSync(path, "utf8").split("\n")
      assert.strictEqual(lines.pop(), "")
      assert.deepStrictEqual(lines.map((l) => JSON.parse(l).message), ["kept", "resent"])
    }))

  const canMount = (() => {
    if (process.getuid?.() !== 0) return false
    const probe = Fs.mkdtempSync(Path.join(Os.tmpdir(), "mount-probe-"))
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "ignore" })
      execFileSync("umount", [probe], { stdio: "ignore" })
      return true
    } catch {
      return false
    } finally {
      Fs.rmSync(probe, { recursive: true, force: true })
    }
  })()

  it.scopedLive.skipIf(!canMount)("on a real full filesystem (tmpfs): ENOSPC fails the stream, and the intake recovers when space returns", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.acquireRelease(
        Effect.sync(() => execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir])),
        () => Effect.sync(() => execFileSync("umount", ["-l", dir]))
      )
      const path = Path.join(dir, "out.jsonl")
      const filler = Path.join(dir, "filler")
      const server = yield* startIntake(layerFile(path))
      const first = yield* openTestStream(server.port, { apiKey: KEY })
      yield* first.send(1, [raw(1, "before")])
      yield* first.awaitAcks(1)
      // Fill the filesystem but for a few KB.
      const fd = Fs.openSync(filler, "w")
      try {
        for (;;) Fs.writeSync(fd, Buffer.alloc(4096, 1))
      } catch (e) {
        assert.strictEqual((e as { code?: string }).code, "ENOSPC")
      }
      Fs.closeSync(fd)
      yield* first.send(2, Array.from({ length: 50 }, (_, i) => raw(i, "z".repeat(1000))))
      const st = yield* first.status
      assert.strictEqual(st.code, grpc.status.UNAVAILABLE)
      assert.match(st.details, /ENOSPC/)
      assert.deepStrictEqual(first.acks, [1])
      assert.strictEqual((yield* server.stats).errors, 1)
      const afterFailure = Fs.readFileSync(path, "utf8")
      assert.deepStrictEqual(afterFailure.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).message), ["before"])
      // Space returns: a new stream is written after the last whole record.
      Fs.rmSync(filler)
      const second = yield* openTestStream(server.port, { apiKey: KEY })
      yield* second.send(1, [raw(1, "after")])
      yield* second.awaitAcks(1)
      const text = Fs.readFileSync(path, "utf8")
      assert.deepStrictEqual(text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).message), ["before", "after"])
    }))
})
