import { assert, describe, it } from "@effect/vitest"
import * as Codec from "../../src/services/logs/BatchCodec.js"
import { decodeBatchData } from "../../src/services/logs/BatchCodec.js"
import { Batcher } from "../../src/services/logs/Batcher.js"
import { Dictionary } from "../../src/services/logs/Dictionary.js"
import { LogRejected, PayloadError } from "../../src/services/logs/errors.js"
import { defaultInflightLimits, heldBytes, InflightTracker } from "../../src/services/logs/InflightTracker.js"
import type { LogMessage } from "../../src/services/logs/LogMessage.js"
import type { Payload } from "../../src/services/logs/Payload.js"
import { releaseRefs } from "../../src/services/logs/StateRef.js"
import { defaultMachineConfig } from "../../src/services/logs/StreamWorkerMachine.js"
import { type ReconstructedLog, StreamDecoder } from "../../src/services/logs/StreamDecoder.js"
import { Translator } from "../../src/services/logs/Translator.js"
import { generateLines } from "../../bench/support/lines.js"
import { makeLogs } from "./helpers.js"

const make = (o: { maxEntries?: number; maxContentBytes?: number; dictEntries?: number; encoding?: "zstd" | "identity" } = {}) => {
  const dict = new Dictionary({ maxEntries: o.dictEntries ?? 1000, maxBytes: 1 << 20 })
  const batcher = new Batcher(
    { maxEntries: o.maxEntries ?? 1000, maxContentBytes: o.maxContentBytes ?? 5_000_000, encoding: o.encoding ?? "identity", compressionLevel: 1 },
    new Translator(dict)
  )
  return { dict, batcher }
}

/** Replays payloads through a fresh decoder as one stream (snapshot first). */
const decodeStream = (payloads: ReadonlyArray<Payload>, snapshot: Uint8Array | undefined, encoding: "zstd" | "identity" = "identity") => {
  const d = new StreamDecoder()
  const out: Array<ReconstructedLog> = []
  const apply = (id: number, data: Uint8Array) => {
    const datums = decodeBatchData(data, encoding)
    if (datums instanceof PayloadError) throw datums
    const r = d.apply(id, datums)
    if ("reason" in r) throw new Error(r.message)
    out.push(...r)
  }
  if (snapshot !== undefined) apply(0, snapshot)
  payloads.forEach((p, i) => apply(i + 1, p.data))
  return out
}

const expectSame = (got: ReadonlyArray<ReconstructedLog>, want: ReadonlyArray<LogMessage>) => {
  assert.strictEqual(got.length, want.length)
  got.forEach((g, i) => {
    const w = want[i]!
    assert.deepStrictEqual([g.message, g.timestamp, g.tags, g.status], [w.content, w.timestamp, w.tags.join(","), w.status])
  })
}

describe("Batcher", () => {
  it("chunk positions ride with the batch holding the chunk's last log; with nothing to wait for they settle at once", () => {
    const { batcher } = make({ maxEntries: 2, maxContentBytes: 50 })
    const log = (content: string, tags: ReadonlyArray<string> = []): LogMessage => ({ content, timestamp: 1, tags })
    const pos = (source: number, start: number, end: number) => ({ source, start, end })
    // Chunk 1: every log rejected, nothing pending: settled at once.
    assert.instanceOf(batcher.add(log("comma", ["x:1,y:2"])), LogRejected)
    assert.instanceOf(batcher.add(log("x".repeat(60))), LogRejected)
    batcher.markPosition(pos(1, 0, 80))
    assert.deepStrictEqual(batcher.takeSettled(), [pos(1, 0, 80)])
    // Chunk 2 ends in the open batch; chunk 3's last log seals a batch (2 entries): it rides with that one.
    assert.isUndefined(batcher.add(log("a")))
    batcher.markPosition(pos(1, 80, 82))
    assert.isUndefined(batcher.add(log("b")))
    batcher.markPosition(pos(1, 82, 84))
    // Chunk 4: rejected, but a sealed batch waits: it rides with that batch too, after chunk 3.
    assert.instanceOf(batcher.add(log("y".repeat(60))), LogRejected)
    batcher.markPosition(pos(1, 84, 145))
    assert.isUndefined(batcher.add(log("c")))
    batcher.markPosition(pos(2, 0, 2))
    batcher.flush()
    assert.deepStrictEqual(batcher.takeSettled(), [])
    assert.deepStrictEqual(batcher.takeSealed().map((p) => p.positions), [
      [pos(1, 80, 82), pos(1, 82, 84), pos(1, 84, 145)],
      [pos(2, 0, 2)]
    ])
  })

  it("flushes at max entries; every batch decodes byte-exact on its own delta state (zstd)", () => {
    const { batcher } = make({ maxEntries: 7, encoding: "zstd" })
    const logs = makeLogs(50)
    for (const l of logs) assert.isUndefined(batcher.add(l))
    batcher.flush()
    const payloads = batcher.takeSealed()
    assert.deepStrictEqual(payloads.map((p) => p.logCount), [7, 7, 7, 7, 7, 7, 7, 1])
    expectSame(decodeStream(payloads, undefined, "zstd"), logs)
  })

  it("flushes before a log that would exceed the content limit", () => {
    const { batcher } = make({ maxContentBytes: 100 })
    const logs = [40, 40, 40, 10].map((n, i): LogMessage => ({ content: "x".repeat(n), timestamp: i, tags: [] }))
    for (const l of logs) batcher.add(l)
    batcher.flush()
    assert.deepStrictEqual(batcher.takeSealed().map((p) => p.logCount), [2, 2])
  })

  it("rejects a log over the limit with a typed error but still delivers the definitions it triggered", () => {
    const { batcher } = make({ maxContentBytes: 100 })
    const big: LogMessage = { content: "y".repeat(101), timestamp: 1, tags: ["team:new"], status: "warn" }
    const r = batcher.add(big)
    assert.instanceOf(r, LogRejected)
    assert.strictEqual((r as LogRejected).reason, "TooLarge")
    const next: LogMessage = { content: "small", timestamp: 2, tags: ["team:new"], status: "warn" }
    assert.isUndefined(batcher.add(next))
    batcher.flush()
    const payloads = batcher.takeSealed()
    assert.deepStrictEqual(payloads[0]!.stateChanges.map((d) => d._tag), ["DictEntryDefine", "DictEntryDefine"])
    expectSame(decodeStream(payloads, undefined), [next])
  })

  it("rejects tags containing ',' and loses nothing else", () => {
    const { batcher } = make()
    const r = batcher.add({ content: "a", timestamp: 1, tags: ["a,b"] })
    assert.strictEqual((r as LogRejected).reason, "TagContainsComma")
    assert.isUndefined(batcher.add({ content: "b", timestamp: 2, tags: ["a:b"] }))
    batcher.flush()
    expectSame(decodeStream(batcher.takeSealed(), undefined), [{ content: "b", timestamp: 2, tags: ["a:b"] }])
  })
})

describe("Dictionary eviction and the inflight snapshot", () => {
  it("evicts the coldest entries but sends DictEntryDelete only once no unacked batch references them", () => {
    const { dict, batcher } = make({ maxEntries: 1, dictEntries: 2 })
    const tracker = new InflightTracker()
    const msgs = ["a:1", "a:2", "a:3", "a:1"].map((t, i): LogMessage => ({ content: `m${i}`, timestamp: i, tags: [t] }))
    for (const m of msgs) batcher.add(m)
    batcher.flush()
    const payloads = batcher.takeSealed()
    for (const p of payloads) tracker.append(p)
    // Batches 3 and 4 evicted "a:1" (id 1) and "a:2" (id 2); batches 1 and 2 still reference them: no delete yet.
    assert.isTrue(payloads.every((p) => p.stateChanges.every((d) => d._tag === "DictEntryDefine")))
    assert.strictEqual(dict.stats.pendingEvictions, 2)
    assert.strictEqual(dict.stats.entries, 2)
    // Ack batch 1 → id 1 is free: its delete rides in the next batch.
    tracker.markSent()
    releaseRefs(tracker.pop()!.stateRefs)
    batcher.add({ content: "m4", timestamp: 9, tags: ["a:4"] })
    batcher.flush()
    const [next] = batcher.takeSealed()
    assert.deepStrictEqual(next!.stateChanges.filter((d) => d._tag === "DictEntryDelete"), [{ _tag: "DictEntryDelete", id: 1 }])
    // Replay after a rotation: snapshot from acked state + every unacked payload decodes exactly.
    tracker.append(next!)
    tracker.rewind()
    const snap = tracker.snapshot()
    const { encodeBatchData } = Codec
    const held: Array<Payload> = []
    for (let p = tracker.markSent(); p !== undefined; p = tracker.markSent()) held.push(p)
    const got = decodeStream(held, encodeBatchData(snap, "identity").data)
    assert.deepStrictEqual(got.map((g) => [g.message, g.tags]), [["m1", "a:2"], ["m2", "a:3"], ["m3", "a:1"], ["m4", "a:4"]])
  })

  it("snapshot holds the acknowledged state only, in a deterministic order (patterns, then dict by id)", () => {
    const tracker = new InflightTracker({ maxPayloads: 3, maxBytes: 1 << 20 })
    const payload = (seq: number, stateChanges: Payload["stateChanges"]): Payload => ({ seq, data: new Uint8Array(10), uncompressedBytes: 10, logCount: 1, stateChanges, stateRefs: [], positions: [] })
    tracker.append(payload(1, [
      { _tag: "DictEntryDefine", id: 2, value: "d2" },
      { _tag: "PatternDefine", patternId: 2, template: "p2", paramCount: 0, posList: [] },
      { _tag: "DictEntryDefine", id: 1, value: "d1" },
      { _tag: "PatternDefine", patternId: 1, template: "p1", paramCount: 0, posList: [] }
    ]))
    tracker.append(payload(2, [{ _tag: "DictEntryDelete", id: 1 }, { _tag: "PatternDelete", patternId: 1 }, { _tag: "DictEntryDefine", id: 3, value: "d3" }]))
    tracker.markSent()
    tracker.markSent()
    tracker.pop()
    assert.deepStrictEqual(tracker.snapshot().map((d) => d._tag === "DictEntryDefine" ? `d${d.id}` : `p${d.patternId}`), ["p1", "p2", "d1", "d2"])
    tracker.pop()
    assert.deepStrictEqual(tracker.snapshot().map((d) => d._tag === "DictEntryDefine" ? `d${d.id}` : `p${d.patternId}`), ["p2", "d2", "d3"])
  })

  it("bounds inflight by count and by bytes", () => {
    const p = (seq: number, bytes: number): Payload => ({ seq, data: new Uint8Array(bytes), uncompressedBytes: bytes, logCount: 1, stateChanges: [], stateRefs: [], positions: [] })
    const byCount = new InflightTracker({ maxPayloads: 2, maxBytes: 1000 })
    byCount.append(p(1, 1))
    assert.isTrue(byCount.hasSpace)
    byCount.append(p(2, 1))
    assert.isFalse(byCount.hasSpace)
    const byBytes = new InflightTracker({ maxPayloads: 100, maxBytes: 600 })
    byBytes.append(p(1, 60))
    assert.isTrue(byBytes.hasSpace)
    byBytes.append(p(2, 60))
    assert.isFalse(byBytes.hasSpace)
    byBytes.markSent()
    byBytes.pop()
    assert.isTrue(byBytes.hasSpace)
  })

  it("the default byte bound holds the send window of typical batches and half as many again, not several times it", () => {
    const { batcher } = make({ encoding: "zstd" })
    for (const m of generateLines(1000).map((content): LogMessage => ({ content, timestamp: 1_700_000_000_000, tags: ["env:prod"] }))) batcher.add(m)
    const [batch] = batcher.takeSealed()
    const window = defaultMachineConfig.sendWindow * heldBytes(batch!)
    assert.isAtLeast(defaultInflightLimits.maxBytes, 1.5 * window)
    assert.isAtMost(defaultInflightLimits.maxBytes, 3 * window)
  })

  it("the byte bound counts the memory a payload really holds: a view's whole backing store, definitions' strings", () => {
    const tracker = new InflightTracker({ maxPayloads: 100, maxBytes: 1 << 20 })
    // 100 bytes of data viewed on a 64 KiB output chunk keep the whole chunk alive.
    const view = new Uint8Array(new ArrayBuffer(65_536), 0, 100)
    const define = { _tag: "DictEntryDefine" as const, id: 1, value: "v".repeat(1000) }
    tracker.append({ seq: 1, data: view, uncompressedBytes: 100, logCount: 1, stateChanges: [define], stateRefs: [], positions: [] })
    assert.strictEqual(tracker.bytes, heldBytes({ seq: 1, data: view, uncompressedBytes: 100, logCount: 1, stateChanges: [define], stateRefs: [], positions: [] }))
    assert.isAtLeast(tracker.bytes, 65_536 + 2_000)
    tracker.markSent()
    tracker.pop()
    assert.strictEqual(tracker.bytes, 0)
  })
})
