import { describe, expect, it } from "vitest"
import * as Zlib from "node:zlib"
import * as fc from "fast-check"
import { type Datum, DynamicValue } from "../../src/services/logs/Datum.js"
import { decodeDatumSequence } from "../../src/services/logs/DatumReader.js"
import { encodeDatumSequence, encodeDatumSequenceGenerated } from "../../src/services/logs/DatumWire.js"
import {
  compress,
  decodeBatchData,
  decompress,
  encodeBatchData,
  parseContentEncoding,
  PayloadError
} from "../../src/services/logs/index.js"

const payloadError = (r: unknown): PayloadError => {
  if (!(r instanceof PayloadError)) throw new Error(`expected a PayloadError, got ${String(r)}`)
  return r
}

describe("content encoding", () => {
  it("absent dd-content-encoding means identity; identity, zstd and gzip are accepted in any case", () => {
    expect(parseContentEncoding(undefined)).toBe("identity")
    expect(parseContentEncoding("")).toBe("identity")
    expect(parseContentEncoding("Identity")).toBe("identity")
    expect(parseContentEncoding("ZSTD")).toBe("zstd")
    expect(parseContentEncoding("gzip")).toBe("gzip")
  })

  it("an unknown encoding is a typed error naming the value", () => {
    const e = payloadError(parseContentEncoding("br"))
    expect(e.reason).toBe("UnknownEncoding")
    expect(e.message).toMatch(/unknown dd-content-encoding 'br'/)
  })

  it("a zstd payload of several frames decompresses to their contents in order, within the same limit", () => {
    const a = Buffer.from("first frame "), b = Buffer.alloc(100_000, "b")
    const two = Buffer.concat([Zlib.zstdCompressSync(a), Zlib.zstdCompressSync(b)])
    expect(Buffer.from(decompress(two, "zstd") as Uint8Array).equals(Buffer.concat([a, b]))).toBe(true)
    expect(payloadError(decompress(two, "zstd", 100_000)).reason).toBe("Oversized")
    const empty = Buffer.concat([Zlib.zstdCompressSync(a), Zlib.zstdCompressSync(Buffer.alloc(0))])
    expect(Buffer.from(decompress(empty, "zstd", a.length) as Uint8Array).equals(a)).toBe(true)
    const trailing = Buffer.concat([Zlib.zstdCompressSync(a), Buffer.from("garbage")])
    expect(payloadError(decompress(trailing, "zstd")).reason).toBe("Corrupt")
  })

  it("gzip round-trips, and its decompressed-size limit is enforced while decompressing", () => {
    const data = Buffer.from("gzip me ".repeat(1000))
    const z = compress(data, "gzip")
    expect(Buffer.from(Zlib.gunzipSync(z)).equals(data)).toBe(true)
    expect(Buffer.from(decompress(z, "gzip") as Uint8Array).equals(data)).toBe(true)
    // A 64 MiB bomb is refused at the limit, without inflating it.
    const bomb = Zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 1 })
    const before = process.memoryUsage().arrayBuffers
    const e = payloadError(decompress(bomb, "gzip", 1024 * 1024))
    expect(e.reason).toBe("Oversized")
    expect(e.message).toMatch(/decompresses to more than the 1048576-byte limit/)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024)
    expect(payloadError(decompress(Buffer.from("not gzip"), "gzip")).message).toMatch(/gzip payload is corrupt/)
  })

  it("zstd level 1 frames decompress with node:zlib", () => {
    const data = Buffer.from("hello ".repeat(1000))
    const z = compress(data, "zstd", 1)
    expect(z.length).toBeLessThan(100)
    expect(Buffer.from(Zlib.zstdDecompressSync(z)).equals(data)).toBe(true)
  })

  it("a compressed payload owns exactly its bytes (an inflight payload must not pin zlib's 64 KiB chunk)", () => {
    const z = compress(Buffer.from("small batch"), "zstd")
    expect(z.buffer.byteLength).toBe(z.byteLength)
  })

  it("corrupt zstd is a typed error", () => {
    const e = payloadError(decompress(Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from("garbage")]), "zstd"))
    expect(e.reason).toBe("Corrupt")
    expect(e.message).toMatch(/zstd payload is corrupt/)
  })

  it("a payload over the decompressed limit is a typed error, for zstd and identity", () => {
    const big = Buffer.alloc(64 * 1024, 1)
    expect(payloadError(decompress(compress(big, "zstd"), "zstd", 1024)).reason).toBe("Oversized")
    const e = payloadError(decompress(big, "identity", 1024))
    expect(e.reason).toBe("Oversized")
    expect(e.message).toMatch(/65536 bytes, over the 1024-byte limit/)
  })

  it("bytes that are not a DatumSequence are a typed error", () => {
    const e = payloadError(decodeBatchData(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), "identity"))
    expect(e.reason).toBe("Malformed")
  })

  it("encodeBatchData reports the uncompressed size", () => {
    const { data, uncompressedBytes } = encodeBatchData(
      Array.from({ length: 50 }, (_, i) => ({
        _tag: "Log" as const,
        timestamp: i,
        content: { _tag: "Raw" as const, raw: "same line again" },
        tags: undefined,
        uuid: undefined,
        status: undefined
      })),
      "zstd"
    )
    expect(uncompressedBytes).toBeGreaterThan(data.length)
  })

  it("a payload owns its bytes in every encoding: encoding the next batch (same reused buffer) leaves it intact", () => {
    const batch = (text: string): Array<Datum> =>
      Array.from({ length: 20 }, (_, i) => ({ _tag: "Log", timestamp: i, content: { _tag: "Raw", raw: `${text} ${i}` }, tags: undefined, uuid: undefined, status: undefined }))
    for (const encoding of ["identity", "zstd", "gzip"] as const) {
      const first = encodeBatchData(batch("first"), encoding)
      const copy = Buffer.from(first.data)
      encodeBatchData(batch("second batch, other bytes"), encoding)
      expect(Buffer.from(first.data).equals(copy)).toBe(true)
      expect(decodeBatchData(first.data, encoding)).toEqual(decodeDatumSequence(encodeDatumSequence(batch("first"))))
    }
  })
})

describe("direct DatumSequence encoder", () => {
  const value = fc.oneof(
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }).map(DynamicValue.int),
    fc.double({ noNaN: true }).map(DynamicValue.float),
    fc.string({ unit: "grapheme", maxLength: 8 }).map(DynamicValue.string),
    fc.nat({ max: 2 ** 40 }).map(DynamicValue.dict)
  )
  const tags = fc.oneof(fc.constant(undefined), fc.constant(null), value)
  const datum: fc.Arbitrary<Datum> = fc.oneof(
    fc.record({
      _tag: fc.constant("Log" as const),
      timestamp: fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
      content: fc.oneof(
        fc.string({ unit: "grapheme", maxLength: 20 }).map((raw) => ({ _tag: "Raw" as const, raw })),
        fc.record({ _tag: fc.constant("Structured" as const), patternId: fc.nat({ max: 1000 }), values: fc.array(value, { maxLength: 4 }) })
      ),
      tags,
      uuid: fc.option(fc.oneof(fc.uuid(), fc.constant("")), { nil: undefined }),
      status: fc.option(value, { nil: undefined })
    }),
    fc.record({ _tag: fc.constant("PatternDefine" as const), patternId: fc.nat(), template: fc.string(), paramCount: fc.nat({ max: 5 }), posList: fc.array(fc.nat({ max: 100 }), { maxLength: 5 }) }),
    fc.record({ _tag: fc.constant("PatternDelete" as const), patternId: fc.nat() }),
    fc.record({ _tag: fc.constant("DictEntryDefine" as const), id: fc.nat(), value: fc.string() }),
    fc.record({ _tag: fc.constant("DictEntryDelete" as const), id: fc.nat() }),
    fc.record({ _tag: fc.constant("DeltaEncodingSync" as const), timestamp: fc.nat(), patternId: fc.nat(), tags })
  )

  it("decodes to exactly what the generated encoder's output decodes to", () => {
    fc.assert(fc.property(fc.array(datum, { maxLength: 30 }), (datums) => {
      expect(decodeDatumSequence(encodeDatumSequence(datums))).toEqual(decodeDatumSequence(encodeDatumSequenceGenerated(datums)))
    }), { numRuns: 300 })
  })

  // Raw logs take a path of their own (sizes first, then bytes): every field and size edge of it.
  const dict = fc.oneof(fc.constantFrom(0, 127, 128, 2 ** 14, 2 ** 32, 2 ** 52, 2 ** 53 - 1), fc.nat({ max: 2 ** 40 })).map(DynamicValue.dict)
  const rawLog: fc.Arbitrary<Datum> = fc.record({
    _tag: fc.constant("Log" as const),
    timestamp: fc.oneof(
      fc.constantFrom(0, 1, -1, 63, 64, -64, -65, 2 ** 52, -(2 ** 52), 2 ** 52 + 2, -(2 ** 53) + 1, 2 ** 53 - 1),
      fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 })
    ),
    content: fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 20 }),
      fc.constantFrom("", "x".repeat(127), "é".repeat(64), "🙂".repeat(5000))
    ).map((raw) => ({ _tag: "Raw" as const, raw })),
    tags: fc.oneof(fc.constant(undefined), fc.constant(null), dict, value),
    uuid: fc.option(fc.oneof(fc.uuid(), fc.constant("")), { nil: undefined }),
    status: fc.option(fc.oneof(dict, value), { nil: undefined })
  })

  it("writes raw logs that decode exactly as the generated encoder's, beside any other datum and past its scratch buffer", () => {
    fc.assert(fc.property(fc.array(fc.oneof(rawLog, rawLog, datum), { maxLength: 30 }), (datums) => {
      expect(decodeDatumSequence(encodeDatumSequence(datums))).toEqual(decodeDatumSequence(encodeDatumSequenceGenerated(datums)))
    }), { numRuns: 500 })
    const big: Array<Datum> = Array.from({ length: 3000 }, (_, i) => ({
      _tag: "Log",
      timestamp: i,
      content: { _tag: "Raw", raw: `line ${i} `.repeat(50) },
      tags: DynamicValue.dict(1),
      uuid: undefined,
      status: DynamicValue.dict(2)
    }))
    const once = encodeDatumSequence(big)
    expect(once.length).toBeGreaterThan(1024 * 1024)
    expect(decodeDatumSequence(once)).toEqual(decodeDatumSequence(encodeDatumSequenceGenerated(big)))
    expect(Buffer.from(encodeDatumSequence(big.slice(0, 2))).equals(Buffer.from(encodeDatumSequenceGenerated(big.slice(0, 2))))).toBe(true)
  })
})
