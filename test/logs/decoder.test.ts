import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import {
  type Datum,
  DeltaEncoder,
  DynamicValue,
  type LogRecord,
  PayloadError,
  StreamDecoder,
  StreamProtocolError
} from "../../src/services/logs/index.js"
import { decodeBatchData, encodeBatchData } from "../../src/services/logs/BatchCodec.js"
import type { ContentEncoding } from "../../src/services/logs/ContentEncoding.js"
import type { ReconstructedLog } from "../../src/services/logs/StreamDecoder.js"

const utf8Length = (s: string) => Buffer.byteLength(s, "utf8")

/** Sends datums through the full codec (serialize + compress + decompress + parse) into a decoder. */
const roundTrip = (decoder: StreamDecoder, batchId: number, datums: ReadonlyArray<Datum>, encoding: ContentEncoding = "zstd") => {
  const decoded = decodeBatchData(encodeBatchData(datums, encoding).data, encoding)
  if (decoded instanceof PayloadError) throw decoded
  return decoder.apply(batchId, decoded)
}

const ok = (r: ReadonlyArray<ReconstructedLog> | StreamProtocolError): ReadonlyArray<ReconstructedLog> => {
  if (r instanceof StreamProtocolError) throw new Error(r.message)
  return r
}

const failure = (r: ReadonlyArray<ReconstructedLog> | StreamProtocolError): StreamProtocolError => {
  if (!(r instanceof StreamProtocolError)) throw new Error("expected a StreamProtocolError")
  return r
}

const raw = (timestamp: number, text: string, extra: Partial<Omit<Extract<Datum, { _tag: "Log" }>, "_tag">> = {}): Datum => ({
  _tag: "Log",
  timestamp,
  content: { _tag: "Raw", raw: text },
  tags: undefined,
  uuid: undefined,
  status: undefined,
  ...extra
})

describe("StreamDecoder delta rules", () => {
  it("first timestamp is absolute, later ones are signed deltas, 0 means same as previous", () => {
    const logs = ok(roundTrip(new StreamDecoder(), 1, [raw(1_700_000_000_000, "a"), raw(5, "b"), raw(0, "c"), raw(-7, "d")]))
    expect(logs.map((l) => l.timestamp)).toEqual([1_700_000_000_000, 1_700_000_000_005, 1_700_000_000_005, 1_699_999_999_998])
  })

  it("delta state resets at each batch: the next batch's first timestamp is absolute again", () => {
    const d = new StreamDecoder()
    ok(roundTrip(d, 1, [raw(1000, "a"), raw(10, "b")]))
    expect(ok(roundTrip(d, 2, [raw(5, "c")]))[0]!.timestamp).toBe(5)
  })

  it("absent tags repeat the previous log's tags; an empty TagSet clears them; a batch starts with none", () => {
    const d = new StreamDecoder()
    const logs = ok(roundTrip(d, 1, [
      { _tag: "DictEntryDefine", id: 7, value: "env:prod,service:web" },
      raw(1, "a"),
      raw(0, "b", { tags: DynamicValue.dict(7) }),
      raw(0, "c"),
      raw(0, "d", { tags: DynamicValue.string("x:y") }),
      raw(0, "e", { tags: null }),
      raw(0, "f")
    ]))
    expect(logs.map((l) => l.tags)).toEqual(["", "env:prod,service:web", "env:prod,service:web", "x:y", "", ""])
    expect(ok(roundTrip(d, 2, [raw(1, "g")]))[0]!.tags).toBe("")
  })

  it("pattern id 0 means the last pattern, set both by a PatternDefine and by an explicit id", () => {
    const d = new StreamDecoder()
    const logs = ok(roundTrip(d, 1, [
      { _tag: "PatternDefine", patternId: 1, template: "user  logged in", paramCount: 1, posList: [5] },
      { _tag: "PatternDefine", patternId: 2, template: "took ms", paramCount: 1, posList: [5] },
      { _tag: "Log", timestamp: 1, content: { _tag: "Structured", patternId: 0, values: [DynamicValue.int(42)] }, tags: undefined, uuid: undefined, status: undefined },
      { _tag: "Log", timestamp: 0, content: { _tag: "Structured", patternId: 1, values: [DynamicValue.string("bob")] }, tags: undefined, uuid: undefined, status: undefined },
      { _tag: "Log", timestamp: 0, content: { _tag: "Structured", patternId: 0, values: [DynamicValue.string("amy")] }, tags: undefined, uuid: undefined, status: undefined }
    ]))
    expect(logs.map((l) => l.message)).toEqual(["took 42ms", "user bob logged in", "user amy logged in"])
  })

  it("renders int, float (shortest round trip), string and dictionary values; several values may share an offset", () => {
    const d = new StreamDecoder()
    const logs = ok(roundTrip(d, 1, [
      { _tag: "DictEntryDefine", id: 3, value: "GET" },
      { _tag: "PatternDefine", patternId: 9, template: "[] =", paramCount: 4, posList: [1, 1, 4, 4] },
      {
        _tag: "Log",
        timestamp: 1,
        content: { _tag: "Structured", patternId: 9, values: [DynamicValue.dict(3), DynamicValue.string("/x"), DynamicValue.float(0.1), DynamicValue.int(-12)] },
        tags: undefined,
        uuid: "u-1",
        status: DynamicValue.string("warn")
      }
    ]))
    expect(logs).toEqual([{ timestamp: 1, message: "[GET/x] =0.1-12", tags: "", status: "warn", uuid: "u-1" }])
  })

  it("pos_list counts UTF-8 bytes of the template", () => {
    const template = "héllo → wörld"
    const pos = utf8Length("héllo ")
    const logs = ok(roundTrip(new StreamDecoder(), 1, [
      { _tag: "PatternDefine", patternId: 1, template, paramCount: 1, posList: [pos] },
      { _tag: "Log", timestamp: 1, content: { _tag: "Structured", patternId: 1, values: [DynamicValue.string("✓")] }, tags: undefined, uuid: undefined, status: undefined }
    ]))
    expect(logs[0]!.message).toBe("héllo ✓→ wörld")
  })

  it("status is not delta-encoded: absent means no status", () => {
    const logs = ok(roundTrip(new StreamDecoder(), 1, [raw(1, "a", { status: DynamicValue.string("error") }), raw(0, "b")]))
    expect(logs.map((l) => l.status)).toEqual(["error", undefined])
  })

  it("a define for an existing id replaces it; state carries across batches", () => {
    const d = new StreamDecoder()
    ok(roundTrip(d, 0, [{ _tag: "DictEntryDefine", id: 1, value: "a:1" }]))
    expect(ok(roundTrip(d, 1, [raw(1, "x", { tags: DynamicValue.dict(1) })]))[0]!.tags).toBe("a:1")
    expect(ok(roundTrip(d, 2, [{ _tag: "DictEntryDefine", id: 1, value: "b:2" }, raw(1, "y", { tags: DynamicValue.dict(1) })]))[0]!.tags).toBe("b:2")
  })

  it("DeltaEncodingSync seeds timestamp, pattern and tags", () => {
    const d = new StreamDecoder()
    const logs = ok(roundTrip(d, 1, [
      { _tag: "PatternDefine", patternId: 4, template: "v=", paramCount: 1, posList: [2] },
      { _tag: "DeltaEncodingSync", timestamp: 5000, patternId: 4, tags: DynamicValue.string("k:v") },
      { _tag: "Log", timestamp: 5, content: { _tag: "Structured", patternId: 0, values: [DynamicValue.int(1)] }, tags: undefined, uuid: undefined, status: undefined }
    ]))
    expect(logs).toEqual([{ timestamp: 5005, message: "v=1", tags: "k:v", status: undefined, uuid: undefined }])
  })
})

describe("StreamDecoder rejects invalid input with a message naming the problem", () => {
  const cases: ReadonlyArray<readonly [string, StreamProtocolError["reason"], RegExp, ReadonlyArray<Datum>]> = [
    ["unknown dict id in tags", "UnknownDictId", /tags references unknown dictionary id 99/, [raw(1, "a", { tags: DynamicValue.dict(99) })]],
    ["unknown dict id in status", "UnknownDictId", /status references unknown dictionary id 5/, [raw(1, "a", { status: DynamicValue.dict(5) })]],
    ["unknown dict id in a value", "UnknownDictId", /dynamic value references unknown dictionary id 8/, [
      { _tag: "PatternDefine", patternId: 1, template: "x", paramCount: 1, posList: [0] },
      { _tag: "Log", timestamp: 1, content: { _tag: "Structured", patternId: 1, values: [DynamicValue.dict(8)] }, tags: undefined, uuid: undefined, status: undefined }
    ]],
    ["delete of an unknown dict id", "UnknownDictId", /DictEntryDelete of unknown dictionary id 4/, [{ _tag: "DictEntryDelete", id: 4 }]],
    ["unknown pattern", "UnknownPattern", /unknown pattern id 12/, [
      { _tag: "Log", timestamp: 1, content: { _tag: "Structured", patternId: 12, values: [] }, tags: undefined, uuid: undefined, status: undefined }
    ]],
    ["pattern 0 with no last pattern", "UnknownPattern", /pattern id 0 and no last pattern/, [
      { _tag: "Log", timestamp: 1, content: { _tag: "Structured", patternId: 0, values: [] }, tags: undefined, uuid: undefined, status: undefined }
    ]],
    ["pos_list out of range", "PosListOutOfRange", /offset 9 is past the end of the template \(3 UTF-8 bytes\)/, [
      { _tag: "PatternDefine", patternId: 1, template: "abc", paramCount: 1, posList: [9] }
    ]],
    ["pos_list inside a UTF-8 character", "PosListOutOfRange", /offset 1 falls inside a UTF-8 character/, [
      { _tag: "PatternDefine", patternId: 1, template: "é!", paramCount: 1, posList: [1] }
    ]],
    ["pos_list not ascending", "PosListNotAscending", /offset 1 at index 1 follows 2/, [
      { _tag: "PatternDefine", patternId: 1, template: "abc", paramCount: 2, posList: [2, 1] }
    ]],
    ["param_count differs from pos_list", "ParamCountMismatch", /param_count 3 differs from the 2 offsets/, [
      { _tag: "PatternDefine", patternId: 1, template: "abc", paramCount: 3, posList: [0, 1] }
    ]],
    ["value count differs from param_count", "ParamCountMismatch", /has 2 dynamic values; pattern 1 takes 1/, [
      { _tag: "PatternDefine", patternId: 1, template: "abc", paramCount: 1, posList: [0] },
      { _tag: "Log", timestamp: 1, content: { _tag: "Structured", patternId: 1, values: [DynamicValue.int(1), DynamicValue.int(2)] }, tags: undefined, uuid: undefined, status: undefined }
    ]],
    ["pattern id 0 defined", "InvalidValue", /PatternDefine with pattern_id 0/, [
      { _tag: "PatternDefine", patternId: 0, template: "abc", paramCount: 0, posList: [] }
    ]]
  ]
  for (const [name, reason, message, datums] of cases) {
    it(name, () => {
      const e = failure(roundTrip(new StreamDecoder(), 1, datums))
      expect(e.reason).toBe(reason)
      expect(e.batchId).toBe(1)
      expect(e.message).toMatch(/^batch 1: /)
      expect(e.message).toMatch(message)
    })
  }

  it("a log without content", () => {
    const e = failure(new StreamDecoder().apply(1, [{ _tag: "ContentlessLog" }]))
    expect(e.reason).toBe("MissingContent")
  })

  it("a batch id gap", () => {
    const d = new StreamDecoder()
    ok(roundTrip(d, 1, []))
    const e = failure(roundTrip(d, 3, []))
    expect(e.reason).toBe("BatchIdGap")
    expect(e.message).toMatch(/batch id 3 where 2 was expected/)
  })

  it("a first data batch other than 1", () => {
    expect(failure(roundTrip(new StreamDecoder(), 2, [])).message).toMatch(/batch id 2 where 1 was expected/)
  })

  it("a second batch 0", () => {
    const d = new StreamDecoder()
    ok(roundTrip(d, 0, []))
    ok(roundTrip(d, 1, []))
    const e = failure(roundTrip(d, 0, []))
    expect(e.reason).toBe("DuplicateSnapshot")
    expect(e.message).toMatch(/batch 0 \(snapshot\) after batch 1/)
  })

  it("a snapshot that holds a log", () => {
    const e = failure(roundTrip(new StreamDecoder(), 0, [raw(1, "no")]))
    expect(e.reason).toBe("SnapshotNotDefinesOnly")
  })
})

/** A log to send: absolute values, plus what the decoder must rebuild. */
interface Case {
  readonly record: LogRecord
  readonly expected: ReconstructedLog
  readonly defines: ReadonlyArray<Datum>
}

const tagStrings = ["", "env:prod", "env:prod,service:api", "team:ü,zone:東京"]
const statusStrings = ["info", "warn", "error"]

const arbValue = fc.oneof(
  fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).map((n) => [DynamicValue.int(n), String(n)] as const),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => [DynamicValue.float(x), String(x)] as const),
  fc.string({ unit: "grapheme", maxLength: 12 }).map((s) => [DynamicValue.string(s), s] as const)
)

const arbCase: fc.Arbitrary<Case> = fc.record({
  timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
  structured: fc.option(
    fc.record({
      patternId: fc.integer({ min: 1, max: 6 }),
      segments: fc.array(fc.string({ unit: "grapheme", maxLength: 8 }), { minLength: 1, maxLength: 5 }),
      values: fc.array(arbValue, { maxLength: 4 })
    }),
    { nil: undefined }
  ),
  raw: fc.string({ unit: "grapheme", maxLength: 40 }),
  tags: fc.integer({ min: 0, max: tagStrings.length - 1 }),
  tagsAsDict: fc.boolean(),
  status: fc.option(fc.integer({ min: 0, max: statusStrings.length - 1 }), { nil: undefined }),
  uuid: fc.option(fc.uuid(), { nil: undefined })
}).map((g): Case => {
  const defines: Array<Datum> = []
  const tags = tagStrings[g.tags]!
  let wireTags: DynamicValue | null = null
  if (tags !== "") {
    if (g.tagsAsDict) {
      defines.push({ _tag: "DictEntryDefine", id: 100 + g.tags, value: tags })
      wireTags = DynamicValue.dict(100 + g.tags)
    } else {
      wireTags = DynamicValue.string(tags)
    }
  }
  const status = g.status === undefined ? undefined : statusStrings[g.status]!
  let content: LogRecord["content"] = { _tag: "Raw", raw: g.raw }
  let message = g.raw
  if (g.structured !== undefined) {
    // Values go between the segments; extra segments join the last value's tail.
    const n = Math.min(g.structured.values.length, g.structured.segments.length)
    const segs = g.structured.segments
    const posList: Array<number> = []
    let template = ""
    message = ""
    for (let i = 0; i < segs.length; i++) {
      template += segs[i]!
      message += segs[i]!
      if (i < n) {
        posList.push(utf8Length(template))
        message += g.structured.values[i]![1]
      }
    }
    // A per-case pattern id range keeps redefinitions (updates) in the mix.
    const patternId = g.structured.patternId
    defines.push({ _tag: "PatternDefine", patternId, template, paramCount: n, posList })
    content = { _tag: "Structured", patternId, values: g.structured.values.slice(0, n).map((v) => v[0]) }
  }
  return {
    record: { timestamp: g.timestamp, content, tags: wireTags, uuid: g.uuid, status: status === undefined ? undefined : DynamicValue.string(status) },
    expected: { timestamp: g.timestamp, message, tags, status, uuid: g.uuid },
    defines
  }
})

describe("codec + decoder round trip (property)", () => {
  it("random batches of logs rebuild byte-exact through DeltaEncoder, zstd/gzip/identity and StreamDecoder", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(arbCase, { maxLength: 20 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom<ContentEncoding>("zstd", "gzip", "identity"),
        fc.boolean(),
        (batches, encoding, snapshot) => {
          const decoder = new StreamDecoder()
          const encoder = new DeltaEncoder()
          if (snapshot) ok(roundTrip(decoder, 0, [{ _tag: "DictEntryDefine", id: 1, value: "unused" }], encoding))
          batches.forEach((cases, i) => {
            encoder.reset()
            const datums: Array<Datum> = []
            for (const c of cases) {
              for (const def of c.defines) {
                datums.push(def)
                if (def._tag === "PatternDefine") encoder.patternDefined(def.patternId)
              }
              datums.push(encoder.encode(c.record))
            }
            const logs = ok(roundTrip(decoder, i + 1, datums, encoding))
            expect(logs).toEqual(cases.map((c) => c.expected))
          })
        }
      ),
      { numRuns: 300 }
    )
  })
})
