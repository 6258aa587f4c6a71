import { describe, expect, it } from "vitest"
import { decodeDatumSequence } from "../../src/services/logs/DatumReader.js"
import { PayloadError, StreamDecoder, StreamProtocolError } from "../../src/services/logs/index.js"
import type { ReconstructedLog } from "../../src/services/logs/StreamDecoder.js"
import {
  bytesField,
  dictDefine,
  dictIndex,
  intValue,
  logTags,
  patternDefine,
  rawLog,
  structuredLog,
  varint
} from "./support/wire.js"

const apply = (batches: ReadonlyArray<Buffer>) => {
  const decoder = new StreamDecoder()
  let result: ReadonlyArray<ReconstructedLog> | StreamProtocolError | PayloadError = []
  batches.forEach((bytes, i) => {
    if (result instanceof StreamProtocolError || result instanceof PayloadError) return
    const datums = decodeDatumSequence(bytes)
    result = datums instanceof PayloadError ? datums : decoder.apply(i + 1, datums)
  })
  return result as ReadonlyArray<ReconstructedLog> | StreamProtocolError | PayloadError
}

const logsOf = (r: ReturnType<typeof apply>) => {
  if (!Array.isArray(r)) throw new Error((r as Error).message)
  return r as ReadonlyArray<ReconstructedLog>
}

const max64 = 2n ** 63n - 1n
const min64 = -(2n ** 63n)

describe("64-bit values are exact (wire contract: never rounded through a double)", () => {
  it("int_value renders its full decimal across the int64 range", () => {
    const values = [max64, min64, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 53n - 1n, -1n, 0n, 123n]
    const template = "v="
    const logs = logsOf(apply([Buffer.concat([
      patternDefine(1n, template, [2]),
      ...values.map((v, i) => structuredLog(i === 0 ? 1000n : 0n, 1n, [intValue(v)]))
    ])]))
    expect(logs.map((l) => l.message)).toEqual(values.map((v) => `v=${v}`))
  })

  it("dictionary ids above 2^53 are distinct: a reference to an undefined neighbour is rejected", () => {
    const id = 2n ** 53n
    const ok = logsOf(apply([Buffer.concat([dictDefine(id, "env:a"), rawLog(1n, "x", logTags(dictIndex(id)))])]))
    expect(ok.map((l) => l.tags)).toEqual(["env:a"])
    const e = apply([Buffer.concat([dictDefine(id, "env:a"), rawLog(1n, "x", logTags(dictIndex(id + 1n)))])])
    expect(e).toBeInstanceOf(StreamProtocolError)
    expect((e as StreamProtocolError).message).toMatch(/tags references unknown dictionary id 9007199254740993/)
  })

  it("the largest uint64 dictionary and pattern ids work exactly", () => {
    const big = 2n ** 64n - 1n
    const logs = logsOf(apply([Buffer.concat([
      dictDefine(big, "max"),
      dictDefine(big - 1n, "max-1"),
      patternDefine(big, "a b", [1]),
      patternDefine(big - 1n, "other", [0]),
      structuredLog(1n, big, [dictIndex(big)]),
      structuredLog(0n, big, [dictIndex(big - 1n)])
    ])]))
    expect(logs.map((l) => l.message)).toEqual(["amax b", "amax-1 b"])
  })

  it("a pattern id above 2^53 that was never defined is rejected, not resolved to a neighbour", () => {
    const e = apply([Buffer.concat([patternDefine(2n ** 60n, "t", [0]), structuredLog(1n, 2n ** 60n + 1n, [intValue(1n)])])])
    expect((e as StreamProtocolError).reason).toBe("UnknownPattern")
    expect((e as StreamProtocolError).message).toMatch(/unknown pattern id 1152921504606846977/)
  })

  it("a timestamp outside the exact range is rejected naming the field; ±(2^53 − 1) is kept exactly", () => {
    const e = apply([rawLog(max64, "late")])
    expect((e as StreamProtocolError).reason).toBe("InvalidValue")
    expect((e as StreamProtocolError).message).toMatch(/batch 1: datum 0: Log.timestamp 9223372036854775807 is outside the exact range/)
    const sum = apply([Buffer.concat([rawLog(2n ** 53n - 1n, "a"), rawLog(1n, "b")])])
    expect((sum as StreamProtocolError).message).toMatch(/datum 1: Log.timestamp \(after the delta\) 9007199254740992 is outside/)
    const logs = logsOf(apply([Buffer.concat([rawLog(2n ** 53n - 1n, "a"), rawLog(-(2n ** 53n - 1n), "b")])]))
    expect(logs.map((l) => l.timestamp)).toEqual([Number.MAX_SAFE_INTEGER, 0])
    expect((apply([rawLog(min64, "early")]) as StreamProtocolError).message).toMatch(/Log.timestamp -9223372036854775808 is outside/)
  })

  it("a varint longer than 10 bytes is malformed", () => {
    const eleven = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    const bytes = bytesField(1, bytesField(6, Buffer.concat([Buffer.from([0x08]), eleven, bytesField(3, "x")])))
    const e = decodeDatumSequence(bytes)
    expect(e).toBeInstanceOf(PayloadError)
    expect((e as PayloadError).reason).toBe("Malformed")
    expect((e as PayloadError).message).toMatch(/Log.timestamp: varint longer than 10 bytes/)
    // Ten bytes is the longest legal varint (a negative int64).
    expect(varint(-1n).length).toBe(10)
    expect(logsOf(apply([Buffer.concat([patternDefine(1n, "", [0]), structuredLog(1n, 1n, [intValue(-1n)])])]))[0]!.message).toBe("-1")
  })

  it("truncated input and a wrong wire type on a known field are malformed, naming the field", () => {
    const e1 = decodeDatumSequence(Buffer.from([0x0a, 0x05, 0x32, 0x03, 0x1a, 0x09, 0x41]))
    expect((e1 as PayloadError).message).toMatch(/Log.raw: length 9 runs past the end/)
    const e2 = decodeDatumSequence(bytesField(1, bytesField(6, bytesField(1, "not a varint"))))
    expect((e2 as PayloadError).message).toMatch(/Log.timestamp: wire type 2 where 0 was expected/)
  })

  it("unknown fields are skipped at every level", () => {
    const unknown = Buffer.concat([bytesField(15, "future"), Buffer.from([0x80 | 0x78, 0x01, 0x2a])]) // field 15 LEN, field 15 varint
    const bytes = Buffer.concat([unknown, bytesField(1, Buffer.concat([unknown, bytesField(6, Buffer.concat([bytesField(3, "ok"), unknown]))]))])
    expect(logsOf(apply([bytes])).map((l) => l.message)).toEqual(["ok"])
  })
})
