import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import * as Net from "node:net"
import * as Zlib from "node:zlib"
import { Effect, Layer, Redacted, Scope, Exit } from "effect"
import { MemoryIntakeOutput } from "../../src/layers/logs/IntakeOutputLive.js"
import { IntakeServer, layerIntakeServer } from "../../src/layers/logs/IntakeServer.js"
import type { Datum } from "../../src/services/logs/Datum.js"
import { DynamicValue } from "../../src/services/logs/Datum.js"
import type { IntakeOptions } from "../../src/services/logs/IntakeOptions.js"
import { openTestStream } from "./support/testClient.js"
import * as Wire from "./support/wire.js"

const KEY = "test-key"

/** Starts an intake with an in-memory output for the rest of the test's scope. */
const startIntake = (options: Partial<IntakeOptions> = {}) =>
  Effect.gen(function*() {
    const output = yield* MemoryIntakeOutput.make
    const ctx = yield* Layer.build(
      layerIntakeServer({ host: "127.0.0.1", port: 0, apiKey: Redacted.make(KEY), ...options }).pipe(Layer.provide(output.layer))
    )
    const server = ctx.pipe((c) => c.unsafeMap.get(IntakeServer.key) as IntakeServer["Type"])
    return { server, output }
  })

const raw = (timestamp: number, text: string, tags?: DynamicValue): Datum => ({
  _tag: "Log",
  timestamp,
  content: { _tag: "Raw", raw: text },
  tags,
  uuid: undefined,
  status: undefined
})

const portIsFree = (port: number) =>
  Effect.async<boolean>((resume) => {
    const s = Net.createServer()
    s.once("error", () => resume(Effect.succeed(false)))
    s.listen(port, "127.0.0.1", () => s.close(() => resume(Effect.succeed(true))))
  })

describe("reference intake over loopback", () => {
  it.scopedLive("acks every batch in order and rebuilds logs byte-exact (unicode, empty, 1 MiB lines)", () =>
    Effect.gen(function*() {
      const { server, output } = yield* startIntake()
      const s = yield* openTestStream(server.port, { apiKey: KEY })
      const big = "λ".repeat(512 * 1024) // 1 MiB of UTF-8
      yield* s.send(0, [{ _tag: "DictEntryDefine", id: 1, value: "env:prod,service:web" }])
      yield* s.send(1, [raw(1_700_000_000_000, "héllo wörld 🚀", DynamicValue.dict(1)), raw(3, "")])
      yield* s.send(2, [raw(1_700_000_000_010, big), raw(-1, "  trailing spaces  \t")])
      yield* s.awaitAcks(3)
      assert.deepStrictEqual(s.acks, [0, 1, 2])
      yield* s.end
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.OK)
      const logs = yield* output.all
      assert.deepStrictEqual(logs.map((l) => [l.timestamp, l.message, l.tags, l.batch]), [
        [1_700_000_000_000, "héllo wörld 🚀", ["env:prod", "service:web"], 1],
        [1_700_000_000_003, "", ["env:prod", "service:web"], 1],
        [1_700_000_000_010, big, [], 2],
        [1_700_000_000_009, "  trailing spaces  \t", [], 2]
      ])
      assert.strictEqual((yield* server.stats).logs, 4)
    }))

  it.scopedLive("a missing or wrong key gets UNAUTHENTICATED", () =>
    Effect.gen(function*() {
      const { server } = yield* startIntake()
      const wrong = yield* openTestStream(server.port, { apiKey: "nope" })
      const missing = yield* openTestStream(server.port, {})
      const a = yield* wrong.status
      const b = yield* missing.status
      assert.strictEqual(a.code, grpc.status.UNAUTHENTICATED)
      assert.match(a.details, /invalid dd-api-key/)
      assert.strictEqual(b.code, grpc.status.UNAUTHENTICATED)
      assert.match(b.details, /missing dd-api-key/)
    }))

  it.scopedLive("an unknown content encoding gets INVALID_ARGUMENT naming it", () =>
    Effect.gen(function*() {
      const { server } = yield* startIntake()
      const s = yield* openTestStream(server.port, { apiKey: KEY, encoding: "br" })
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.INVALID_ARGUMENT)
      assert.match(st.details, /unknown dd-content-encoding 'br'/)
    }))

  it.scopedLive("bad input on one stream ends it with INVALID_ARGUMENT and the others keep going", () =>
    Effect.gen(function*() {
      const { server, output } = yield* startIntake()
      const good = yield* openTestStream(server.port, { apiKey: KEY })
      const bad = yield* openTestStream(server.port, { apiKey: KEY })
      const corrupt = yield* openTestStream(server.port, { apiKey: KEY })
      const gap = yield* openTestStream(server.port, { apiKey: KEY })
      yield* good.send(1, [raw(1, "first")])
      yield* good.awaitAcks(1)
      yield* bad.send(1, [raw(1, "x", DynamicValue.dict(42))])
      yield* corrupt.sendRaw(1, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]))
      yield* gap.send(1, [])
      yield* gap.send(3, [])
      const badSt = yield* bad.status
      assert.strictEqual(badSt.code, grpc.status.INVALID_ARGUMENT)
      assert.match(badSt.details, /batch 1: datum 0: tags references unknown dictionary id 42/)
      const corruptSt = yield* corrupt.status
      assert.strictEqual(corruptSt.code, grpc.status.INVALID_ARGUMENT)
      assert.match(corruptSt.details, /batch 1: zstd payload is corrupt/)
      const gapSt = yield* gap.status
      assert.strictEqual(gapSt.code, grpc.status.INVALID_ARGUMENT)
      assert.match(gapSt.details, /batch id 3 where 2 was expected/)
      assert.deepStrictEqual(gap.acks, [1])
      yield* good.send(2, [raw(2, "second")])
      yield* good.awaitAcks(2)
      yield* good.end
      assert.strictEqual((yield* good.status).code, grpc.status.OK)
      assert.deepStrictEqual((yield* output.all).filter((r) => r.message !== "").map((r) => r.message), ["first", "second"])
      assert.strictEqual((yield* server.stats).errors, 3)
    }))

  it.scopedLive("--reset-after-batches N --resets K aborts K streams with UNAVAILABLE after N acked batches", () =>
    Effect.gen(function*() {
      const { server } = yield* startIntake({ faults: { resetAfterBatches: 2, resets: 1 } })
      const first = yield* openTestStream(server.port, { apiKey: KEY })
      yield* first.send(1, [raw(1, "a")])
      yield* first.send(2, [raw(1, "b")])
      const st = yield* first.status
      assert.strictEqual(st.code, grpc.status.UNAVAILABLE)
      assert.match(st.details, /injected reset after batch 2/)
      assert.deepStrictEqual(first.acks, [1, 2])
      // The budget is spent: the next stream runs past 2 batches.
      const second = yield* openTestStream(server.port, { apiKey: KEY })
      for (const id of [1, 2, 3]) yield* second.send(id, [raw(1, `c${id}`)])
      yield* second.awaitAcks(3)
      yield* second.end
      assert.strictEqual((yield* second.status).code, grpc.status.OK)
    }))

  it.scopedLive("--ack-delay-ms delays acks and keeps them in order", () =>
    Effect.gen(function*() {
      const { server } = yield* startIntake({ faults: { ackDelayMs: 150 } })
      const s = yield* openTestStream(server.port, { apiKey: KEY })
      const started = Date.now()
      yield* s.send(1, [raw(1, "a")])
      yield* s.send(2, [raw(1, "b")])
      yield* s.awaitAcks(2)
      assert.isAtLeast(Date.now() - started, 140)
      assert.deepStrictEqual(s.acks, [1, 2])
    }))

  it.scopedLive("--withhold-acks-after N stops acking but still decodes and writes", () =>
    Effect.gen(function*() {
      const { server, output } = yield* startIntake({ faults: { withholdAcksAfter: 1 } })
      const s = yield* openTestStream(server.port, { apiKey: KEY })
      yield* s.send(1, [raw(1, "a")])
      yield* s.send(2, [raw(1, "b")])
      yield* output.awaitCount(2)
      yield* s.end
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.OK)
      assert.deepStrictEqual(s.acks, [1])
    }))

  it.scopedLive("--reject-status CODE --reject-count K rejects the first K streams, then recovers", () =>
    Effect.gen(function*() {
      const { server } = yield* startIntake({ faults: { rejectStatus: grpc.status.UNAVAILABLE, rejectCount: 2 } })
      for (let i = 0; i < 2; i++) {
        const s = yield* openTestStream(server.port, { apiKey: KEY })
        assert.strictEqual((yield* s.status).code, grpc.status.UNAVAILABLE)
      }
      const s = yield* openTestStream(server.port, { apiKey: KEY })
      yield* s.send(1, [raw(1, "ok")])
      yield* s.awaitAcks(1)
    }))

  it.live("closing the scope mid-stream acks what was in hand, ends the stream UNAVAILABLE and frees the port", () =>
    Effect.gen(function*() {
      const listeners = () => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length
      const listenersBefore = listeners()
      const scope = yield* Scope.make()
      const { server, output } = yield* Scope.extend(startIntake(), scope)
      const clientScope = yield* Scope.make()
      const s = yield* Scope.extend(openTestStream(server.port, { apiKey: KEY }), clientScope)
      yield* s.send(1, [raw(1, "kept")])
      yield* s.awaitAcks(1)
      assert.strictEqual(listeners(), listenersBefore + 1)
      yield* Scope.close(scope, Exit.void)
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.UNAVAILABLE)
      assert.match(st.details, /shutting down/)
      assert.deepStrictEqual((yield* output.all).map((r) => r.message), ["kept"])
      assert.strictEqual(listeners(), listenersBefore)
      assert.isTrue(yield* portIsFree(server.port))
      yield* Scope.close(clientScope, Exit.void)
    }))
})

describe("reference intake: what Datadog agents send", () => {
  it.scopedLive("accepts gzip streams and streams without dd-content-encoding (identity)", () =>
    Effect.gen(function*() {
      const { server, output } = yield* startIntake()
      const gz = yield* openTestStream(server.port, { apiKey: KEY, encoding: "gzip" })
      const plain = yield* openTestStream(server.port, { apiKey: KEY, encoding: null })
      yield* gz.send(1, [raw(1000, "gzipped ✓")])
      yield* gz.awaitAcks(1)
      yield* plain.send(1, [raw(2000, "no header")])
      yield* plain.awaitAcks(1)
      yield* gz.end
      yield* plain.end
      assert.strictEqual((yield* gz.status).code, grpc.status.OK)
      assert.strictEqual((yield* plain.status).code, grpc.status.OK)
      assert.deepStrictEqual((yield* output.all).map((r) => [r.timestamp, r.message]).sort(), [[1000, "gzipped ✓"], [2000, "no header"]])
    }))

  it.scopedLive("a zstd payload of several frames is read whole; bytes after a frame that are not a frame are refused", () =>
    Effect.gen(function*() {
      const { server, output } = yield* startIntake()
      const s = yield* openTestStream(server.port, { apiKey: KEY, encoding: "zstd" })
      // Two DatumSequences back to back are one (a repeated field), each compressed as its own frame.
      yield* s.sendRaw(1, Buffer.concat([
        Zlib.zstdCompressSync(Wire.rawLog(1000n, "first frame")),
        Zlib.zstdCompressSync(Buffer.concat([Wire.rawLog(1n, "second frame"), Wire.rawLog(1n, "x".repeat(200_000))]))
      ]))
      yield* s.awaitAcks(1)
      assert.deepStrictEqual((yield* output.all).map((r) => r.message.slice(0, 12)), ["first frame", "second frame", "x".repeat(12)])
      const bad = yield* openTestStream(server.port, { apiKey: KEY, encoding: "zstd" })
      yield* bad.sendRaw(1, Buffer.concat([Zlib.zstdCompressSync(Wire.rawLog(1000n, "lost?")), Buffer.from("not a frame")]))
      const st = yield* bad.status
      assert.strictEqual(st.code, grpc.status.INVALID_ARGUMENT)
      assert.match(st.details, /batch 1: zstd payload is corrupt/)
      assert.strictEqual((yield* output.all).length, 3)
    }))

  it.scopedLive("a gzip bomb over the decompressed-size limit gets INVALID_ARGUMENT naming the limit", () =>
    Effect.gen(function*() {
      const { server } = yield* startIntake({ maxPayloadBytes: 64 * 1024 })
      const s = yield* openTestStream(server.port, { apiKey: KEY, encoding: "gzip" })
      yield* s.sendRaw(1, Zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024)))
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.INVALID_ARGUMENT)
      assert.match(st.details, /batch 1: batch payload decompresses to more than the 65536-byte limit/)
      // One well-formed log of 16 MiB: read as it is inflated, it passes the limit before it is whole.
      const one = yield* openTestStream(server.port, { apiKey: KEY, encoding: "gzip" })
      yield* one.sendRaw(1, Zlib.gzipSync(Wire.rawLog(1n, "\0".repeat(16 * 1024 * 1024))))
      const oneSt = yield* one.status
      assert.strictEqual(oneSt.code, grpc.status.INVALID_ARGUMENT)
      assert.match(oneSt.details, /batch 1: batch payload decompresses to more than the 65536-byte limit/)
    }))
})

describe("reference intake: 64-bit values are exact end to end", () => {
  it.scopedLive("int_value 2^63-1 and -2^63 are written exactly; an id above 2^53 never resolves to a neighbour", () =>
    Effect.gen(function*() {
      const { server, output } = yield* startIntake()
      const s = yield* openTestStream(server.port, { apiKey: KEY, encoding: "identity" })
      yield* s.sendRaw(1, Buffer.concat([
        Wire.patternDefine(1n, "n= ok", [2]),
        Wire.structuredLog(1000n, 1n, [Wire.intValue(2n ** 63n - 1n)]),
        Wire.structuredLog(0n, 1n, [Wire.intValue(-(2n ** 63n))])
      ]))
      yield* s.awaitAcks(1)
      assert.deepStrictEqual((yield* output.all).map((r) => r.message), ["n=9223372036854775807 ok", "n=-9223372036854775808 ok"])
      const id = 2n ** 53n
      yield* s.sendRaw(2, Buffer.concat([Wire.dictDefine(id, "env:a"), Wire.rawLog(1n, "x", Wire.logTags(Wire.dictIndex(id + 1n)))]))
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.INVALID_ARGUMENT)
      assert.match(st.details, /batch 2: datum 1: tags references unknown dictionary id 9007199254740993/)
      assert.deepStrictEqual(s.acks, [1])
    }))

  it.scopedLive("a timestamp of 2^63-1 rejects the batch naming the field", () =>
    Effect.gen(function*() {
      const { server, output } = yield* startIntake()
      const s = yield* openTestStream(server.port, { apiKey: KEY, encoding: "identity" })
      yield* s.sendRaw(1, Wire.rawLog(2n ** 63n - 1n, "late"))
      const st = yield* s.status
      assert.strictEqual(st.code, grpc.status.INVALID_ARGUMENT)
      assert.match(st.details, /Log.timestamp 9223372036854775807 is outside the exact range/)
      assert.deepStrictEqual(yield* output.all, [])
    }))
})
