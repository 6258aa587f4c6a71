import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { decodeBatchData, encodeBatchData } from "../../src/services/logs/BatchCodec.js"
import { Batcher } from "../../src/services/logs/Batcher.js"
import type { Datum, LogContent, PatternDefine } from "../../src/services/logs/Datum.js"
import { encodeDatumSequence, encodeDatumSequenceGenerated } from "../../src/services/logs/DatumWire.js"
import { defaultDictionaryLimits, Dictionary } from "../../src/services/logs/Dictionary.js"
import { PayloadError } from "../../src/services/logs/errors.js"
import { InflightTracker } from "../../src/services/logs/InflightTracker.js"
import { compilePattern, rebuild } from "../../src/services/logs/Pattern.js"
import { defaultPatternSettings, PatternContent, type PatternSettings } from "../../src/services/logs/patterns/PatternContent.js"
import { scan, Tokens, WordKind } from "../../src/services/logs/patterns/Tokenizer.js"
import { exactFloat, exactInt } from "../../src/services/logs/patterns/ValueTyping.js"
import type { Payload } from "../../src/services/logs/Payload.js"
import { releaseRefs } from "../../src/services/logs/StateRef.js"
import { renderFloat, StreamDecoder } from "../../src/services/logs/StreamDecoder.js"
import { Translator } from "../../src/services/logs/Translator.js"

// Integers typed unless a test says otherwise, so the int path stays under every property test.
const settings = (o: { admitAfter?: number; maxPatterns?: number; maxPatternBytes?: number; typedInts?: boolean } = {}): PatternSettings => ({
  ...defaultPatternSettings,
  typedInts: o.typedInts ?? true,
  patterns: { maxPatterns: o.maxPatterns ?? 4096, maxBytes: o.maxPatternBytes ?? 4 * 1024 * 1024 },
  clusters: { ...defaultPatternSettings.clusters, admitAfter: o.admitAfter ?? 1 }
})

const makeTranslator = (s: PatternSettings = settings(), dictionary = new Dictionary()) => {
  const content = new PatternContent(dictionary, s)
  return { dictionary, content, translator: new Translator(dictionary, content) }
}

/** Content of `line` after translation, with the defines it produced. */
const translate = (t: Translator, line: string) => {
  const defines: Array<Datum> = []
  const r = t.translate({ content: line, timestamp: 1, tags: [] }, defines)
  if ("reason" in r) throw new Error(r.message)
  return { content: r.content, defines }
}

/** Rebuilds structured content from the patterns defined so far, as the intake would. */
const rebuildWith = (patterns: Map<number, PatternDefine>, dict: Map<number, string>, c: LogContent): string => {
  if (c._tag === "Raw") return c.raw
  const d = patterns.get(c.patternId)!
  const compiled = compilePattern(d.template, d.paramCount, d.posList)
  if ("reason" in compiled) throw new Error(compiled.message)
  return rebuild(compiled, c.values.map((v) =>
    v._tag === "Int" ? String(v.value) : v._tag === "Float" ? renderFloat(v.value) : v._tag === "String" ? v.value : dict.get(v.id)!))
}

describe("value typing", () => {
  it("an int only where its decimal rendering is the exact text, within int64", () => {
    const int = (s: string) => exactInt(s, 0, s.length)
    assert.strictEqual(int("0"), 0)
    assert.strictEqual(int("42"), 42)
    assert.strictEqual(int("-17"), -17)
    for (const s of ["-0", "007", "-05", "", "-", "12a"]) assert.isUndefined(int(s), s)
    assert.strictEqual(int("9223372036854775807"), 9223372036854775807n)
    assert.strictEqual(int("-9223372036854775808"), -9223372036854775808n)
    assert.isUndefined(int("9223372036854775808"))
    assert.isUndefined(int("-9223372036854775809"))
    assert.isUndefined(int("10000000000000000000"))
    // Beyond 2^53 the value is a bigint: a double would round it.
    assert.strictEqual(int("9007199254740993"), 9007199254740993n)
    assert.strictEqual(int("9007199254740991"), 9007199254740991)
  })

  it("a float only where the shortest round-trip decimal is the text and a double is smaller", () => {
    assert.strictEqual(exactFloat("3.14159265358979"), 3.14159265358979)
    assert.isUndefined(exactFloat("1.5000000000"))
    assert.isUndefined(exactFloat("0.5"))
    assert.isUndefined(exactFloat("1e+300000"))
  })
})

describe("Tokenizer", () => {
  const words = (line: string) => {
    const t = new Tokens()
    assert.isTrue(scan(line, t))
    return Array.from({ length: t.count }, (_, i) => [line.slice(t.start[i]!, t.end[i]!), t.kind[i]!] as const)
  }

  it("splits words from delimiters, letters from trailing digits, and keeps a number's sign", () => {
    assert.deepStrictEqual(words("blk_-123 x86_64 a-5 [-7] md5sum ünï"), [
      ["blk_", WordKind.Letters], ["-123", WordKind.Number], ["x86_64", WordKind.Mixed], ["a", WordKind.Letters],
      ["5", WordKind.Number], ["-7", WordKind.Number], ["md5sum", WordKind.Mixed], ["ünï", WordKind.Letters]
    ])
  })

  it("gives lines of one shape the same shape hash, and different delimiters different ones", () => {
    const shape = (line: string) => {
      const t = new Tokens()
      scan(line, t)
      return t.shape
    }
    assert.strictEqual(shape("a 1 b"), shape("x 22 yy"))
    assert.notStrictEqual(shape("a 1 b"), shape("a  1 b"))
    assert.notStrictEqual(shape("a 1 b"), shape("a b 1"))
  })

  it("flags a lone surrogate, which UTF-8 cannot carry", () => {
    const t = new Tokens()
    scan("ok \ud83d\ude00 fine", t)
    assert.isTrue(t.wellFormed)
    scan("bad \ud83d here", t)
    assert.isFalse(t.wellFormed)
  })
})

describe("PatternContent", () => {
  it("lines of one shape share a pattern; varying positions become typed values; widening defines a new pattern", () => {
    const { translator } = makeTranslator()
    const first = translate(translator, "GET /items/1 200 took 15 ms")
    assert.strictEqual(first.content._tag, "Raw")
    const second = translate(translator, "GET /items/2 200 took 17 ms")
    assert.strictEqual(second.defines.length, 1)
    const define = second.defines[0] as PatternDefine
    assert.deepStrictEqual([define.template, define.posList], ["GET /items/ 200 took  ms", [11, 21]])
    assert.deepStrictEqual(second.content, { _tag: "Structured", patternId: define.patternId, values: [{ _tag: "Int", value: 2 }, { _tag: "Int", value: 17 }] })
    const third = translate(translator, "GET /items/3 200 took 9 ms")
    assert.deepStrictEqual([third.defines.length, third.content._tag === "Structured" && third.content.patternId], [0, define.patternId])
    // The status, literal so far, varies: the pattern widens under a new id.
    const widened = translate(translator, "GET /items/4 404 took 1 ms")
    const wider = widened.defines[0] as PatternDefine
    assert.notStrictEqual(wider.patternId, define.patternId)
    assert.deepStrictEqual([wider.template, wider.paramCount], ["GET /items/  took  ms", 3])
  })

  it("by default sends integers as their text (digits compress better than varints), still byte-exact", () => {
    const { translator } = makeTranslator(settings({ typedInts: false }))
    translate(translator, "GET /items/1 200 took 15 ms")
    const second = translate(translator, "GET /items/2 200 took 17 ms")
    assert.deepStrictEqual(second.content._tag === "Structured" && second.content.values, [{ _tag: "String", value: "2" }, { _tag: "String", value: "17" }])
    assert.isFalse(defaultPatternSettings.typedInts)
  })

  it("sends a line raw when the structured form would not be smaller, or the shape is still being learned", () => {
    const { translator } = makeTranslator(settings({ admitAfter: 3 }))
    assert.deepStrictEqual(["a b", "c d", "e f", "g h"].map((l) => translate(translator, l).content._tag), ["Raw", "Raw", "Raw", "Raw"])
    const learned = ["x=1 done", "x=2 done", "x=3 done", "x=4 done"].map((l) => translate(translator, l).content._tag)
    assert.deepStrictEqual(learned, ["Raw", "Raw", "Raw", "Structured"])
  })

  it("sends a line with a lone surrogate raw", () => {
    const { translator } = makeTranslator()
    translate(translator, "user \ud800 logged in 1")
    assert.strictEqual(translate(translator, "user \ud801 logged in 2").content._tag, "Raw")
  })

  it("references a string in the dictionary only once it recurs in a later batch", () => {
    const { translator, dictionary } = makeTranslator()
    for (const l of ["host alpha-one up", "host beta-two up", "host beta-two up"]) translate(translator, l)
    assert.isUndefined(dictionary.find("beta-two"), "a repeat inside one batch is left to compression")
    translator.sealBatch()
    const later = translate(translator, "host beta-two up")
    assert.deepStrictEqual(later.defines, [{ _tag: "DictEntryDefine", id: dictionary.find("beta-two")!.id, value: "beta-two" }])
    assert.strictEqual(later.content._tag === "Structured" && later.content.values[0]!._tag, "DictIndex")
  })

  it("keeps patterns, clusters and dictionary within their byte bounds on a stream of unique random lines", () => {
    const s: PatternSettings = {
      patterns: { maxPatterns: 200, maxBytes: 64 * 1024 },
      clusters: { ...defaultPatternSettings.clusters, maxClusters: 500, maxBytes: 64 * 1024, admitAfter: 1 },
      candidates: { maxEntries: 300, maxBytes: 16 * 1024 },
      typedInts: true
    }
    const dictionary = new Dictionary({ maxEntries: 300, maxBytes: 32 * 1024 })
    const content = new PatternContent(dictionary, s)
    const batcher = new Batcher({ maxEntries: 100, maxContentBytes: 5_000_000, encoding: "identity", compressionLevel: 1 }, new Translator(dictionary, content))
    const rnd = fc.sample(fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 120 }), { seed: 7, numRuns: 20_000 })
    let maxPatternBytes = 0
    let maxClusterBytes = 0
    for (const [i, line] of rnd.entries()) {
      // Every other line of a random shape repeats with different values, so patterns and dictionary fill up.
      batcher.add({ content: i % 2 === 0 ? line : `${line.replace(/[0-9]+/g, String(i))} id=${i} user=u${i % 400}`, timestamp: 0, tags: [] })
      for (const p of batcher.takeSealed()) releaseRefs(p.stateRefs)
      maxPatternBytes = Math.max(maxPatternBytes, content.table.stats.bytes)
      maxClusterBytes = Math.max(maxClusterBytes, content.clusterer.stats.bytes)
    }
    assert.isAtMost(maxPatternBytes, 64 * 1024)
    assert.isAtMost(maxClusterBytes, 64 * 1024)
    assert.isAtMost(dictionary.stats.bytes, 32 * 1024)
    assert.isAbove(content.table.stats.evictions, 0, "the bound was reached")
  })

  it("a batch that needs more patterns than the table holds sends the rest raw; after its ack they are evictable", () => {
    const { translator, content } = makeTranslator(settings({ maxPatterns: 3 }))
    const shapes = ["a 1", "b: 1", "c [1]", "d (1)", "e {1}"].map((s) => `${s} and a long literal tail that a pattern saves`)
    const kinds = (n: number) => shapes.map((s) => translate(translator, s.replace("1", String(n))).content._tag)
    kinds(1)
    assert.deepStrictEqual(kinds(2), ["Structured", "Structured", "Structured", "Raw", "Raw"])
    assert.strictEqual(content.table.stats.patterns, 3)
    // A new batch that does not use the first three: they are evicted to make room.
    releaseRefs(translator.sealBatch())
    const later = shapes.slice(3).map((s) => translate(translator, s.replace("1", "3")))
    assert.deepStrictEqual(later.map((l) => l.content._tag), ["Structured", "Structured"])
    assert.isAtMost(content.table.stats.patterns, 3)
    assert.isAbove(content.table.stats.evictions, 0)
  })

  it("with the default bounds, a stream of unique lines built to fill every table keeps pattern + dictionary state within 8 MiB", () => {
    const dictionary = new Dictionary()
    const content = new PatternContent(dictionary)
    const translator = new Translator(dictionary, content)
    let seed = 99
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296
    const pool = (alphabet: string) => Array.from({ length: 1 << 18 }, () => alphabet[Math.floor(rnd() * alphabet.length)]!).join("")
    const punctuation = pool("!#$%&()*+,-./:;<>?@[]^{|}~")
    const letters = pool("abcdefghijklmnopqrstuvwxyz")
    // A random window of a random pool: distinct windows differ (with overwhelming probability).
    const text = (from: string, n: number) => {
      const at = Math.floor(rnd() * (from.length - n))
      return from.slice(at, at + n)
    }
    // Each shape: a random 1,800-character punctuation prefix (a long template), 30 lines in batches of 10.
    // The first batch goes mostly raw while the shape is learned; the next two share their 2,200-letter values,
    // so every value recurs in a later batch and is admitted to the dictionary.
    const batchLines = 10
    let peak = 0
    for (let shape = 0; shape < 450; shape++) {
      const prefix = text(punctuation, 1_800)
      const shared = Array.from({ length: batchLines }, () => text(letters, 2_200))
      for (let b = 0; b < 3; b++) {
        for (let l = 0; l < batchLines; l++) {
          const value = b === 0 ? text(letters, 2_200) : shared[l]!
          translate(translator, `${prefix} user=${value} n=${shape * 30 + b * batchLines + l}`)
        }
        releaseRefs(translator.sealBatch())
        peak = Math.max(peak, content.stateBytes + dictionary.stats.bytes)
      }
    }
    assert.isAtMost(peak, 8 * 1024 * 1024)
    // Both tables reached their bounds and evicted.
    assert.isAbove(content.table.stats.evictions, 0)
    assert.isAbove(dictionary.stats.evictions, 0)
    assert.isAbove(peak, 6 * 1024 * 1024, "the stream filled the tables")
  })

  it("eviction prefers cold entries: a pattern and a dictionary value used in every batch outlive newer one-off ones", () => {
    // Least-recently-used eviction would drop the hot entries first: they last appeared before the one-offs.
    const dictionary = new Dictionary({ maxEntries: 8, maxBytes: 1 << 20 })
    const content = new PatternContent(dictionary, settings({ maxPatterns: 8 }))
    const translator = new Translator(dictionary, content)
    const hot = (n: number) => translate(translator, `hot request ${n} served by ${n % 2 === 0 ? "alphahost" : "betahost"} in ${n % 7} ms`)
    let hotId = 0
    for (let b = 0; b < 40; b++) {
      for (let n = 0; n < 3; n++) {
        const c = hot(b * 3 + n).content
        if (c._tag === "Structured") hotId = c.patternId
      }
      releaseRefs(translator.sealBatch())
    }
    const hotValue = dictionary.find("alphahost")
    assert.isDefined(hotValue)
    // Then only one-off shapes and values, two per batch, until both tables have evicted several times.
    for (let b = 0; b < 12; b++) {
      for (let k = 0; k < 2; k++) {
        const shape = "=".repeat(b * 2 + k + 1)
        for (let n = 0; n < 2; n++) translate(translator, `cold${shape}${n} job ${n} done`)
        dictionary.intern(`one-off-${b}-${k}`, () => {})
      }
      releaseRefs(translator.sealBatch())
    }
    assert.isAbove(content.table.stats.evictions, 4)
    assert.isAbove(dictionary.stats.evictions, 4)
    assert.strictEqual(dictionary.find("alphahost"), hotValue, "the hot value kept its entry")
    assert.isUndefined(dictionary.find("one-off-0-0"))
    const again = hot(1_000)
    assert.deepStrictEqual([again.defines.length, again.content._tag === "Structured" && again.content.patternId], [0, hotId], "the hot pattern is still live")
  })

  it("defaults: patterns, clusters, admission candidates and dictionary together stay within 8 MiB", () => {
    const d = defaultPatternSettings
    const total = d.patterns.maxBytes + d.clusters.maxBytes + d.candidates.maxBytes + defaultDictionaryLimits.maxBytes
    assert.isAtMost(total, 8 * 1024 * 1024)
    assert.isAtMost(d.patterns.maxBytes, 4 * 1024 * 1024)
    assert.isAtMost(defaultDictionaryLimits.maxBytes, 4 * 1024 * 1024)
  })
})

/** Lines built from a few templates with typed fields, plus arbitrary Unicode lines. */
const int64Edge = fc.constantFrom("0", "-0", "007", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
  "-9223372036854775809", "9007199254740993", "18446744073709551615", "+5", "1.50", "3.141592653589793", "1e21")
const field = fc.oneof(int64Edge, fc.integer().map(String), fc.constantFrom("", " ", "  ", "\t", "é", "😀", "a-b", "x_1", "[]"),
  fc.string({ unit: "grapheme", maxLength: 6 }))
const templated = fc.tuple(fc.constantFrom("req %s took %s ms", "user=%s  id=%s", "%s:%s", "[%s] %s\t%s end", "%s"), fc.array(field, { minLength: 3, maxLength: 3 }))
  .map(([tpl, fs]) => { let k = 0; return tpl.replace(/%s/g, () => fs[k++]!) })
const line = fc.oneof({ weight: 4, arbitrary: templated }, { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 60 }) })

const decodeAll = (decoder: StreamDecoder, batches: ReadonlyArray<readonly [number, Uint8Array]>) => {
  const out: Array<string> = []
  for (const [id, data] of batches) {
    const datums = decodeBatchData(data, "identity")
    if (datums instanceof PayloadError) throw datums
    const logs = decoder.apply(id, datums)
    if ("reason" in logs) throw new Error(logs.message)
    for (const l of logs) out.push(l.message)
  }
  return out
}

describe("losslessness", () => {
  it("every structured log the translator emits rebuilds to its line", () => {
    fc.assert(fc.property(fc.array(line, { maxLength: 120 }), (lines) => {
      const { translator } = makeTranslator()
      const patterns = new Map<number, PatternDefine>()
      const dict = new Map<number, string>()
      for (const l of lines) {
        const { content, defines } = translate(translator, l)
        for (const d of defines) {
          if (d._tag === "PatternDefine") patterns.set(d.patternId, d)
          if (d._tag === "DictEntryDefine") dict.set(d.id, d.value)
        }
        assert.strictEqual(rebuildWith(patterns, dict, content), l)
      }
    }), { numRuns: 300 })
  })

  it("the intake rebuilds every line byte-exact, across acks, evictions and a rotation replayed from the snapshot", () => {
    fc.assert(fc.property(fc.array(line, { maxLength: 200 }), fc.array(fc.boolean(), { maxLength: 60 }), (lines, acks) => {
      const dictionary = new Dictionary({ maxEntries: 8, maxBytes: 1 << 20 })
      const content = new PatternContent(dictionary, settings({ maxPatterns: 4 }))
      const batcher = new Batcher({ maxEntries: 7, maxContentBytes: 5_000_000, encoding: "identity", compressionLevel: 1 }, new Translator(dictionary, content))
      const tracker = new InflightTracker()
      const first = new StreamDecoder()
      const sent: Array<string> = []
      let id = 0
      let ackAt = 0
      const ship = (p: Payload) => {
        tracker.append(p)
        tracker.markSent()
        sent.push(...decodeAll(first, [[++id, p.data]]))
        // Acknowledge (release) the oldest batch when the script says so.
        if (acks[ackAt++ % Math.max(1, acks.length)] === true) releaseRefs(tracker.pop()!.stateRefs)
      }
      for (const l of lines) {
        batcher.add({ content: l, timestamp: 5, tags: ["t:1"] })
        for (const p of batcher.takeSealed()) ship(p)
      }
      batcher.flush()
      for (const p of batcher.takeSealed()) ship(p)
      assert.deepStrictEqual(sent, lines)
      // A new stream: the snapshot of acknowledged state, then every unacknowledged batch again.
      tracker.rewind()
      const unacked: Array<readonly [number, Uint8Array]> = []
      for (let p = tracker.markSent(), k = 1; p !== undefined; p = tracker.markSent(), k++) unacked.push([k, p.data])
      const second = new StreamDecoder()
      decodeAll(second, [[0, encodeBatchData(tracker.snapshot(), "identity").data]])
      const replayed = decodeAll(second, unacked)
      assert.deepStrictEqual(replayed, lines.slice(lines.length - tracker.logs))
    }), { numRuns: 150 })
  })
})

describe("int64 on the wire", () => {
  it("encodes a bigint int_value exactly, at both int64 edges", () => {
    const log = (value: bigint): Datum => ({
      _tag: "Log", timestamp: 0, tags: undefined, uuid: undefined, status: undefined,
      content: { _tag: "Structured", patternId: 1, values: [{ _tag: "Int", value }] }
    })
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
    // DynamicValue { int_value = 1 } is tag 0x08 then the varint; int64 negatives take ten bytes.
    assert.include(hex(encodeDatumSequence([log(9223372036854775807n)])), "08ffffffffffffffff7f")
    assert.include(hex(encodeDatumSequence([log(-9223372036854775808n)])), "0880808080808080808001")
    assert.strictEqual(hex(encodeDatumSequence([log(9007199254740993n)])), hex(encodeDatumSequenceGenerated([log(9007199254740993n)])))
  })
})
