import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import * as Zlib from "node:zlib"
import { inflateAtOnce, openPayloadInflater } from "../../src/layers/logs/PayloadInflater.js"
import { inflateAtOnceBytes, zstdDeclaredContentSize } from "../../src/services/logs/ContentEncoding.js"
import { needInput } from "../../src/services/logs/DatumReader.js"
import { intakeDefaults } from "../../src/services/logs/IntakeOptions.js"
import { type BatchDecision, BatchWork, FaultBudget, type IntakeLimits, IntakeStream } from "../../src/services/logs/IntakeStream.js"
import * as Wire from "./support/wire.js"

const zstd = (data: Uint8Array, params: Record<number, number> = {}) => Zlib.zstdCompressSync(data, { params })
const logs = (...texts: Array<string>) => Buffer.concat(texts.map((t, i) => Wire.rawLog(BigInt(1000 + i), t)))

/** A zstd frame header, hand-built: descriptor byte, then the fields it announces. */
const header = (descriptor: number, ...fields: Array<number>) => Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, descriptor, ...fields])

describe("zstdDeclaredContentSize", () => {
  const cases: ReadonlyArray<readonly [string, Uint8Array, number | undefined]> = [
    ["an empty frame (single segment, 1-byte field)", zstd(Buffer.alloc(0)), 0],
    ["100 bytes (single segment, 1-byte field)", zstd(Buffer.alloc(100)), 100],
    ["1000 bytes (2-byte field, offset by 256)", zstd(Buffer.alloc(1000)), 1000],
    ["300 000 bytes (4-byte field)", zstd(Buffer.alloc(300_000)), 300_000],
    ["no size declared", zstd(Buffer.alloc(1000), { [Zlib.constants.ZSTD_c_contentSizeFlag]: 0 }), undefined],
    ["8-byte field after a window byte and a 4-byte dictionary id",
      header(0xc3, 0x50, 1, 2, 3, 4, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00), 2 ** 32],
    ["8-byte field of 2^63 (kept as a number above any limit)",
      header(0xe0, 0, 0, 0, 0, 0, 0, 0, 0x80), 2 ** 63],
    ["a 1-byte dictionary id before a 2-byte field", header(0x61, 7, 0x10, 0x00), 256 + 16],
    ["the reserved bit set", header(0x28, 0x05), undefined],
    ["a header cut before its size field", header(0x80, 0x50, 0x01), undefined],
    ["a skippable frame", Uint8Array.from([0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]), undefined],
    ["not zstd", Buffer.from("plain text payload"), undefined],
    ["shorter than a header", Uint8Array.from([0x28, 0xb5, 0x2f]), undefined]
  ]
  for (const [name, data, expected] of cases) {
    it(name, () => assert.strictEqual(zstdDeclaredContentSize(data), expected))
  }
})

/** Reads a batch the way the intake's reader does: step, and feed the inflater's chunks when it needs input. */
const decide = (payload: Uint8Array, limits: IntakeLimits, atOnceBytes: number) =>
  Effect.gen(function*() {
    const work = new IntakeStream(1, "zstd", limits, new FaultBudget({})).begin(1, payload)
    if (!(work instanceof BatchWork)) return work
    const inflater = yield* openPayloadInflater(payload, "zstd", limits.maxPayloadBytes, atOnceBytes)
    for (;;) {
      const r = work.step(Number.MAX_SAFE_INTEGER)
      if (r === undefined) continue
      if (r !== needInput) return r
      do {
        const chunk = yield* Effect.either(inflater.next)
        if (chunk._tag === "Left") return work.fail(chunk.left)
        if (chunk.right === undefined) work.finish()
        else {
          const rejected = work.feed(chunk.right)
          if (rejected !== undefined) return rejected
        }
      } while (work.wantsInput)
    }
  }).pipe(Effect.scoped)

/** What a decision says to the sender and the output: the logs, or the error's reason and message. */
const outcome = (d: BatchDecision) =>
  d._tag === "Accept"
    ? { accept: d.batch.logs, bytes: d.bytes }
    : { reject: `${d.error._tag} ${"reason" in d.error ? d.error.reason : ""}: ${d.error.message}` }

/** Decides a payload inflated at once (when it qualifies) and streamed; both must agree. */
const bothWays = (payload: Uint8Array, limits: IntakeLimits = intakeDefaults) =>
  Effect.gen(function*() {
    const atOnce = outcome(yield* decide(payload, limits, inflateAtOnceBytes))
    const streamed = outcome(yield* decide(payload, limits, -1))
    assert.deepStrictEqual(atOnce, streamed)
    return { outcome: atOnce, wasAtOnce: inflateAtOnce(payload, "zstd", limits.maxPayloadBytes) !== undefined }
  })

describe("a small zstd payload is inflated at once, with the same decision as streamed", () => {
  const two = Buffer.concat([zstd(logs("first frame")), zstd(logs("second", "frame"))])
  const small = zstd(logs("a", "b", "c"))
  const declaresLess = Buffer.from(zstd(logs("x".repeat(1000))))
  declaresLess[5] = 0x10 // the 2-byte size field's low byte: the frame now declares less than it holds
  const cases: ReadonlyArray<readonly [string, Uint8Array, Partial<IntakeLimits>, boolean, "accept" | RegExp]> = [
    ["a few logs", small, {}, true, "accept"],
    ["an empty payload", zstd(Buffer.alloc(0)), {}, true, "accept"],
    ["several frames", two, {}, true, "accept"],
    ["a small first frame followed by 2 MiB (the one-shot hits its cap and streams)",
      Buffer.concat([zstd(logs("small")), zstd(logs("y".repeat(2 * 1024 * 1024)))]), {}, false, "accept"],
    ["no declared size", zstd(logs("a", "b"), { [Zlib.constants.ZSTD_c_contentSizeFlag]: 0 }), {}, false, "accept"],
    ["too many datums", zstd(logs(...Array.from({ length: 50 }, (_, i) => `l${i}`))), { maxBatchDatums: 10 }, true,
      /more than 10 datums/],
    ["over the payload limit", zstd(logs("z".repeat(10_000))), { maxPayloadBytes: 4096 }, false,
      /decompresses to more than the 4096-byte limit/],
    ["bytes after a frame that are not a frame", Buffer.concat([small, Buffer.from("not a frame")]), {}, false,
      /zstd payload is corrupt/],
    ["a truncated frame", small.subarray(0, small.length - 3), {}, false, /zstd payload is corrupt/],
    ["a frame declaring less than it holds", declaresLess, {}, false, /zstd payload is corrupt/],
    ["a valid frame holding no valid datums", zstd(Buffer.from([0x0a, 0x7f, 0x01])), {}, true, /batch 1/]
  ]
  for (const [name, payload, limits, atOnce, expected] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const r = yield* bothWays(payload, { ...intakeDefaults, ...limits })
        assert.strictEqual(r.wasAtOnce, atOnce)
        if (expected === "accept") assert.ok("accept" in r.outcome, JSON.stringify(r.outcome))
        else assert.match((r.outcome as { reject: string }).reject, expected)
      }))
  }

  it.effect("a decompression bomb goes the streamed way and is rejected at its datum limit", () =>
    Effect.gen(function*() {
      const emptyLog = Buffer.from([0x0a, 0x04, 0x32, 0x02, 0x1a, 0x00])
      const bomb = zstd(Buffer.concat(Array.from({ length: Math.floor((16 * 1024 * 1024) / 6) }, () => emptyLog)))
      assert.isBelow(bomb.length, 64 * 1024)
      assert.isAbove(zstdDeclaredContentSize(bomb)!, inflateAtOnceBytes)
      assert.strictEqual(inflateAtOnce(bomb, "zstd", intakeDefaults.maxPayloadBytes), undefined)
      const d = yield* decide(bomb, intakeDefaults, inflateAtOnceBytes)
      assert.match(outcome(d).reject ?? "", /more than 50000 datums/)
    }))

  it.effect("a zstd frame declaring more than the payload limit is refused before anything is inflated", () =>
    Effect.gen(function*() {
      const big = zstd(Buffer.alloc(2 * 1024 * 1024))
      const first = yield* Effect.either(openPayloadInflater(big, "zstd", 1024 * 1024).pipe(Effect.flatMap((i) => i.next)))
      assert.strictEqual(first._tag, "Left")
      if (first._tag === "Left") assert.match(first.left.message, /decompresses to more than the 1048576-byte limit/)
      const d = yield* decide(big, { ...intakeDefaults, maxPayloadBytes: 1024 * 1024 }, inflateAtOnceBytes)
      assert.match(outcome(d).reject ?? "", /batch 1: batch payload decompresses to more than the 1048576-byte limit/)
    }).pipe(Effect.scoped))

  it.effect("any logs split into any frames under any limits: the same decision either way", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.string({ maxLength: 3000 }), { maxLength: 40 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 60 }),
          fc.integer({ min: 64, max: 200_000 }),
          async (texts, frames, maxBatchDatums, maxPayloadBytes) => {
            const data = logs(...texts)
            const cut = Math.ceil(data.length / frames)
            const parts = Array.from({ length: frames }, (_, i) => zstd(data.subarray(i * cut, (i + 1) * cut)))
            await Effect.runPromise(bothWays(Buffer.concat(parts), { ...intakeDefaults, maxBatchDatums, maxPayloadBytes }))
          }
        ),
        { numRuns: 60 }
      )
    ))
})
