/**
 * The content translator with pattern extraction: a line is tokenized, matched to a pattern by the
 * clusterer, and sent as the pattern id plus its typed parameter values — unless that would not be smaller
 * than the raw text, or the line is the first of its shape, in which case it goes raw. Values are floats where
 * a double is smaller than the text and reproduces it, ints where the text round-trips exactly (only with
 * `typedInts`: see there), dictionary references for names that recur across batches (a string with
 * letters is admitted when it shows up again in a later batch, so one-off values never churn the dictionary),
 * plain strings otherwise. A structured log
 * rebuilds byte-exact by construction: the template's segments are checked against the line, and every value
 * is the line's own text or a number whose rendering equals it.
 */
import type { Datum, DynamicValue, LogContent } from "../Datum.js"
import type { DictEntry, Dictionary } from "../Dictionary.js"
import type { StateRef } from "../StateRef.js"
import type { ContentTranslator } from "../Translator.js"
import { Clusterer, type ClustererLimits, defaultClustererLimits } from "./Clusterer.js"
import { defaultPatternLimits, type PatternLimits, PatternTable } from "./PatternTable.js"
import { maxWords, scan, Tokens, WordKind } from "./Tokenizer.js"
import { exactFloat, exactInt, int64VarintSize, varintSize } from "./ValueTyping.js"

export interface PatternSettings {
  readonly patterns: PatternLimits
  readonly clusters: ClustererLimits
  /** Strings seen once and waiting for a second sighting before dictionary admission. */
  readonly candidates: { readonly maxEntries: number; readonly maxBytes: number }
  /**
   * Send canonical integers as `int_value`. Off by default: a varint is smaller than its digits, but after
   * zstd it costs more — digits repeat across lines (`2005`, `04:47`) and zstd matches them, varint bytes
   * rarely do. Measured on the 8 shared samples (`bench/wire-bytes.ts`): median 1.127× zstd-1 of the raw
   * lines with ints, 1.095× without.
   */
  readonly typedInts: boolean
}

export const defaultPatternSettings: PatternSettings = {
  patterns: defaultPatternLimits,
  clusters: defaultClustererLimits,
  candidates: { maxEntries: 4096, maxBytes: 256 * 1024 },
  typedInts: false
}

/** Strings shorter than this stay inline: a dictionary reference would not be smaller. */
const minDictLength = 3

export class PatternContent implements ContentTranslator {
  readonly table: PatternTable
  readonly clusterer: Clusterer
  private readonly tokens = new Tokens()
  /** Per parameter of the current line: 1 when its string value may become a dictionary reference. */
  private readonly wordy = new Uint8Array(maxWords)
  /** Strings seen once, with the batch they were seen in. */
  private readonly candidates = new Map<string, number>()
  private batch = 1
  private candidateBytes = 0
  private out: Array<Datum> = []
  private readonly define = (e: DictEntry): void => {
    this.out.push({ _tag: "DictEntryDefine", id: e.id, value: e.value })
  }

  constructor(private readonly dictionary: Dictionary, readonly settings: PatternSettings = defaultPatternSettings) {
    this.table = new PatternTable(settings.patterns)
    this.clusterer = new Clusterer(this.table, settings.clusters)
  }

  translate(content: string, defines: Array<Datum>): LogContent {
    const t = this.tokens
    if (content.length > this.clusterer.limits.maxLineLength || !scan(content, t)) return raw(content)
    const m = this.clusterer.match(content, t)
    if (m === undefined) return raw(content)
    const p = m.pattern
    const groups = p.groups
    const params = groups.length / 2
    const values: Array<DynamicValue> = new Array(params)
    this.wordy.fill(0, 0, params)
    // Size of the structured content without dictionary references (they only make it smaller).
    let size = 2 + varintSize(p.define.patternId)
    for (let j = 0; j < params; j++) {
      const first = groups[2 * j]!
      const last = groups[2 * j + 1]!
      const start = t.start[first]!
      const end = t.end[last]!
      let v: DynamicValue | undefined
      if (this.settings.typedInts && first === last && t.kind[first] === WordKind.Number) {
        const n = exactInt(content, start, end)
        if (n !== undefined && int64VarintSize(n) <= end - start) {
          v = { _tag: "Int", value: n }
          size += 3 + int64VarintSize(n)
        }
      }
      if (v === undefined) {
        const text = content.slice(start, end)
        const f = first === last ? undefined : exactFloat(text)
        if (f !== undefined) {
          v = { _tag: "Float", value: f }
          size += 11
        } else {
          v = { _tag: "String", value: text }
          size += 4 + text.length
          // Names (words with letters) recur across batches; numbers, times and ids rarely do.
          this.wordy[j] = text.length >= minDictLength && hasLetters(t, first, last) ? 1 : 0
        }
      }
      values[j] = v
    }
    if (size >= 1 + varintSize(content.length) + content.length) return raw(content)
    if (m.created) {
      if (!this.clusterer.commit(p)) return raw(content)
      defines.push(p.define)
    } else this.table.use(p)
    this.out = defines
    for (let j = 0; j < params; j++) {
      const v = values[j]!
      if (v._tag === "String" && this.wordy[j] === 1) values[j] = this.stringValue(v)
    }
    return { _tag: "Structured", patternId: p.define.patternId, values }
  }

  sealBatch(): ReadonlyArray<StateRef> {
    this.batch++
    return this.table.sealBatch()
  }

  takeDeletes(out: Array<Datum>): void {
    if (!this.table.hasDeletes) return
    for (const d of this.table.takeDeletes()) out.push(d)
  }

  get hasDeletes(): boolean {
    return this.table.hasDeletes
  }

  /** Accounted memory of the pattern state: live patterns, clusters and dictionary admission candidates. */
  get stateBytes(): number {
    return this.table.stats.bytes + this.clusterer.stats.bytes + this.candidateBytes
  }

  /** A dictionary reference for a string already in the dictionary or seen once before; else the string. */
  private stringValue(v: DynamicValue & { readonly _tag: "String" }): DynamicValue {
    const text = v.value
    if (this.dictionary.find(text) === undefined) {
      const seenIn = this.candidates.get(text)
      // Repeats within a batch cost little after compression; a string that recurs in a later batch is
      // worth a stream-wide definition.
      if (seenIn === this.batch) return v
      if (seenIn === undefined) {
        const { maxEntries, maxBytes } = this.settings.candidates
        if (this.candidates.size >= maxEntries || this.candidateBytes + text.length * 2 > maxBytes) {
          // A fresh generation: candidates that did not repeat by now were one-offs.
          this.candidates.clear()
          this.candidateBytes = 0
        }
        this.candidates.set(text, this.batch)
        this.candidateBytes += text.length * 2
        return v
      }
      this.candidates.delete(text)
      this.candidateBytes -= text.length * 2
    }
    return { _tag: "DictIndex", id: this.dictionary.intern(text, this.define).id }
  }
}

const raw = (content: string): LogContent => ({ _tag: "Raw", raw: content })

const hasLetters = (t: Tokens, first: number, last: number): boolean => {
  for (let i = first; i <= last; i++) if (t.kind[i] !== WordKind.Number) return true
  return false
}
