import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import * as Zlib from "node:zlib"
import { inflateChunkBytes } from "../../src/services/logs/ContentEncoding.js"
import { DatumFraming, DatumReader, decodeDatumSequence, needInput } from "../../src/services/logs/DatumReader.js"
import type { DecodedDatum } from "../../src/services/logs/DecodedDatum.js"
import { PayloadError } from "../../src/services/logs/errors.js"
import { nextAdmission } from "../../src/services/logs/IntakeAdmission.js"
import { intakeDefaults } from "../../src/services/logs/IntakeOptions.js"
import { BatchWork, FaultBudget, IntakeStream } from "../../src/services/logs/IntakeStream.js"
import * as Wire from "./support/wire.js"

const cutAt = (payload: Buffer, cuts: ReadonlyArray<number>) => {
  const pieces: Array<Buffer> = []
  let from = 0
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    pieces.push(payload.subarray(from, cut))
    from = cut
  }
  pieces.push(payload.subarray(from))
  return pieces
}

/** Reads `payload` through an incremental reader fed at the given cut points. */
const readInPieces = (payload: Buffer, cuts: ReadonlyArray<number>) => {
  const reader = DatumReader.incremental()
  const pieces = cutAt(payload, cuts)
  const out: Array<DecodedDatum> = []
  for (;;) {
    const d = reader.next()
    if (d === undefined) return out
    if (d instanceof PayloadError) return d
    if (d === needInput) {
      const piece = pieces.shift()
      if (piece === undefined) reader.finish()
      else reader.feed(piece)
    } else out.push(d)
  }
}

/** Top-level fields of every wire type that a reader must skip (field numbers the contract does not use). */
const unknownFields = Buffer.concat([
  Wire.varintField(15, 2n ** 63n),
  Buffer.from([(14 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]),
  Buffer.from([(13 << 3) | 5, 1, 2, 3, 4]),
  Wire.bytesField(12, "x".repeat(200))
])

const arbField = fc.oneof(
  fc.tuple(fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }), fc.string({ unit: "binary", maxLength: 400 }))
    .map(([ts, text]) => Wire.rawLog(ts, text)),
  fc.tuple(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.string({ maxLength: 3000 }))
    .map(([id, value]) => Wire.dictDefine(id, value)),
  fc.constant(unknownFields)
)

describe("incremental DatumReader: a payload read as it is inflated", () => {
  it("gives the same datums, or the same error at the same payload offset, however the payload is cut; the framing counts them", () => {
    fc.assert(
      fc.property(
        fc.array(arbField, { maxLength: 30 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        (fields, cutSeed, cutPoints, truncate) => {
          const whole = Buffer.concat(fields)
          // Cut anywhere, and in particular one byte at a time around the first field boundary.
          const payload = truncate && whole.length > 0 ? whole.subarray(0, cutSeed % whole.length) : whole
          const cuts = payload.length === 0 ? [] : cutPoints.map((c) => c % (payload.length + 1))
          const first = fields[0]?.length ?? 0
          for (let i = Math.max(0, first - 3); i <= Math.min(payload.length, first + 3); i++) cuts.push(i)
          const expected = decodeDatumSequence(payload)
          const got = readInPieces(payload, cuts)
          if (expected instanceof PayloadError) {
            expect(got).toBeInstanceOf(PayloadError)
            expect((got as PayloadError).message).toBe(expected.message)
          } else {
            expect(got).toEqual(expected)
            const framing = new DatumFraming()
            for (const piece of cutAt(payload, cuts)) framing.add(piece)
            expect(framing.datums).toBe(expected.length)
          }
        }
      ),
      { numRuns: 300 }
    )
  })

  it("a field spanning many chunks is gathered without holding more than it, then read once whole", () => {
    const big = "λ".repeat(300_000) // 600 KB of UTF-8: ten 64 KiB chunks
    const payload = Buffer.concat([Wire.rawLog(1n, "a"), Wire.rawLog(2n, big), Wire.rawLog(3n, "b")])
    const cuts = Array.from({ length: Math.ceil(payload.length / inflateChunkBytes) }, (_, i) => i * inflateChunkBytes)
    const got = readInPieces(payload, cuts) as ReadonlyArray<DecodedDatum>
    expect(got.map((d) => d._tag === "Log" && d.content._tag === "Raw" ? d.content.raw : undefined)).toEqual(["a", big, "b"])
  })
})

describe("a batch is rejected as soon as it crosses a limit, before the rest of it is inflated", () => {
  // 2.8 M empty logs, 6 bytes each: the attack's bomb once inflated (it compresses to about 1.4 KB).
  const emptyLog = Buffer.from([0x0a, 0x04, 0x32, 0x02, 0x1a, 0x00])
  const inflated = Buffer.alloc(Math.floor((16 * 1024 * 1024) / emptyLog.length) * emptyLog.length).fill(emptyLog)

  it("a zstd bomb is rejected at max-batch-datums from its framing, after inflating about that many datums' bytes and reading none", () => {
    const stream = new IntakeStream(1, "zstd", intakeDefaults, new FaultBudget({}))
    const work = stream.begin(1, Zlib.zstdCompressSync(inflated)) as BatchWork
    // Fed chunk by chunk as the server inflates it, as far ahead as the work takes.
    let offset = 0
    let decision
    while (decision === undefined) {
      const r = work.step(1000)
      if (r !== needInput) decision = r
      while (decision === undefined && work.wantsInput) {
        decision = work.feed(inflated.subarray(offset, offset + inflateChunkBytes))
        offset += inflateChunkBytes
      }
    }
    expect(decision._tag === "Reject" && decision.error.message).toMatch(
      /^batch 1: more than 50000 datums \(the intake's max-batch-datums limit\)/
    )
    expect(work.payloadBytes).toBeLessThanOrEqual((intakeDefaults.maxBatchDatums + 1) * emptyLog.length + inflateChunkBytes)
    expect(work.logBytes).toBe(0)
  })

  it("a payload over max-payload-bytes is rejected once the bytes read pass it, naming the limit", () => {
    const limits = { ...intakeDefaults, maxPayloadBytes: 100_000 }
    const stream = new IntakeStream(1, "zstd", limits, new FaultBudget({}))
    const work = stream.begin(1, Buffer.alloc(0)) as BatchWork
    const payload = Wire.rawLog(1n, "z".repeat(1_000_000))
    let decision
    for (let offset = 0; decision === undefined; offset += inflateChunkBytes) {
      expect(work.step(10)).toBe(needInput)
      decision = work.feed(payload.subarray(offset, offset + inflateChunkBytes))
    }
    expect(decision._tag === "Reject" && decision.error.message).toBe("batch 1: batch payload decompresses to more than the 100000-byte limit")
    expect(work.payloadBytes).toBeLessThanOrEqual(100_000)
  })

  it("an identity payload over the limit is rejected before it is read, with its size", () => {
    const stream = new IntakeStream(1, "identity", { ...intakeDefaults, maxPayloadBytes: 10 }, new FaultBudget({}))
    const d = stream.begin(1, Buffer.alloc(11))
    expect(d instanceof BatchWork ? undefined : d._tag === "Reject" && d.error.message).toBe("batch 1: batch payload is 11 bytes, over the 10-byte limit")
  })
})

describe("admission is fair per stream", () => {
  it("with bomb streams holding the budget and queueing more, a stream holding nothing is admitted first", () => {
    const bombs = [1, 2, 3, 4].map(() => ({ bytes: 300_000, streamHolds: 600_000 }))
    const healthy = { bytes: 1_000, streamHolds: 0 }
    // The bombs' batches came first; the budget has room for the small batch only.
    expect(nextAdmission([...bombs, healthy], 1_000_000, 1_048_576)).toBe(4)
  })

  it("among streams holding the same, first come first served; nothing is let past a batch that does not fit", () => {
    const waiting = [{ bytes: 500, streamHolds: 0 }, { bytes: 10, streamHolds: 0 }, { bytes: 10, streamHolds: 5 }]
    expect(nextAdmission(waiting, 0, 1_000)).toBe(0)
    expect(nextAdmission(waiting, 600, 1_000)).toBeUndefined() // the first does not fit: the others wait behind it
  })

  it("an idle budget admits even a batch larger than itself; an empty queue admits nothing", () => {
    expect(nextAdmission([{ bytes: 5_000, streamHolds: 0 }], 0, 1_000)).toBe(0)
    expect(nextAdmission([], 0, 1_000)).toBeUndefined()
  })
})
