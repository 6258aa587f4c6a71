/**
 * Groups tokenized lines into patterns. A cluster holds the lines of one shape (same delimiters, same word
 * kinds). Its first `admitAfter` lines go raw and only show which positions vary (a rare shape never costs a
 * pattern definition). Each word position stays literal while it has shown at most `literalValues` distinct
 * values and becomes a parameter (wildcard) on the next one — the cluster widens, and later lines get a new,
 * wider pattern (a new id; the old one ages out of the table). Positions still literal select among the cluster's patterns, so a position with few values
 * (a level, a component) costs no parameter. Adjacent parameters joined by one punctuation character merge
 * into one (`04:47:44`). Whether a pattern fits a line is checked against the line's text (its literal
 * segments at the token boundaries), so hash collisions can never change a rebuilt log: they only send it raw.
 * Pure: no clock; the stream worker's driver fiber owns one instance.
 */
import { type PatternEntry, patternOverheadBytes, type PatternTable } from "./PatternTable.js"
import type { Tokens } from "./Tokenizer.js"

export interface ClustererLimits {
  /** Distinct values a word position may show before it becomes a parameter. */
  readonly literalValues: number
  readonly maxClusters: number
  readonly maxBytes: number
  /** Lines of a shape seen before it gets a pattern: they go raw, and show which positions vary. */
  readonly admitAfter: number
  /** Lines longer than this (UTF-16 units) are not clustered. */
  readonly maxLineLength: number
}

export const defaultClustererLimits: ClustererLimits = {
  literalValues: 1,
  admitAfter: 8,
  maxClusters: 4096,
  maxBytes: 768 * 1024,
  maxLineLength: 4096
}

interface Cluster {
  readonly words: number
  readonly wild: Uint8Array
  /** Up to `literalValues` hashes seen per position. */
  readonly seen: Int32Array
  readonly seenCount: Uint8Array
  /** Patterns of this cluster by the hash of their literal positions. */
  readonly patterns: Map<number, PatternEntry>
  readonly bytes: number
  lastUse: number
  sightings: number
}

/** The pattern a line uses, and whether it was just created (its define must precede the log). */
export interface Match {
  readonly pattern: PatternEntry
  readonly created: boolean
}

const utf8 = new TextEncoder()

export class Clusterer {
  private readonly clusters = new Map<number, Cluster>()
  private clusterBytes = 0
  private tick = 0

  constructor(private readonly table: PatternTable, readonly limits: ClustererLimits = defaultClustererLimits) {
    if (!(limits.literalValues >= 1 && limits.literalValues <= 255)) {
      throw new RangeError(`literalValues must be in 1..255 (got ${limits.literalValues})`)
    }
  }

  get stats(): { readonly clusters: number; readonly bytes: number } {
    return { clusters: this.clusters.size, bytes: this.clusterBytes }
  }

  /**
   * The pattern for the scanned `line`, or undefined when the line goes raw (first of its shape, or a shape
   * collision). A created pattern is not yet in the table: the caller `commit`s it if it uses it.
   */
  match(line: string, t: Tokens): Match | undefined {
    const tick = ++this.tick
    const words = t.count
    let c = this.clusters.get(t.shape)
    if (c === undefined) {
      this.addCluster(t, tick)
      return undefined
    }
    if (c.words !== words) return undefined
    c.lastUse = tick
    const k = this.limits.literalValues
    const wild = c.wild
    let spec = 0x811c9dc5
    let widened = false
    for (let i = 0; i < words; i++) {
      if (wild[i] === 1) continue
      const h = t.hash[i]!
      const base = i * k
      const n = c.seenCount[i]!
      let found = false
      for (let j = 0; j < n; j++) {
        if (c.seen[base + j] === h) {
          found = true
          break
        }
      }
      if (!found) {
        if (n < k) {
          c.seen[base + n] = h
          c.seenCount[i] = n + 1
        } else {
          wild[i] = 1
          widened = true
          continue
        }
      }
      spec = Math.imul(spec ^ h, 0x01000193) ^ i
    }
    if (widened) {
      // Patterns with a now-wild position literal stay live until evicted, but are no longer selected.
      c.patterns.clear()
      spec = 0x811c9dc5
      for (let i = 0; i < words; i++) if (wild[i] === 0) spec = Math.imul(spec ^ t.hash[i]!, 0x01000193) ^ i
    }
    if (c.sightings < this.limits.admitAfter) {
      c.sightings++
      return undefined
    }
    const p = c.patterns.get(spec)
    // A pattern created for a line that then went raw was never committed (no uses): it is still new.
    if (p !== undefined && !p.evicted) return fits(p, line, t) ? { pattern: p, created: p.uses === 0 } : undefined
    if (!t.wellFormed) return undefined
    const created = this.makePattern(line, t, wild)
    c.patterns.set(spec, created)
    return { pattern: created, created: true }
  }

  /** Adds a pattern returned by `match` as created to the table; false when the table has no room. */
  commit(p: PatternEntry): boolean {
    return this.table.add(p)
  }

  private addCluster(t: Tokens, tick: number): void {
    const words = t.count
    const k = this.limits.literalValues
    const bytes = 128 + words * (2 + 4 * k)
    const c: Cluster = {
      words,
      wild: new Uint8Array(words),
      seen: new Int32Array(words * k),
      seenCount: new Uint8Array(words).fill(1),
      patterns: new Map(),
      bytes,
      lastUse: tick,
      sightings: 1
    }
    for (let i = 0; i < words; i++) c.seen[i * k] = t.hash[i]!
    this.clusters.set(t.shape, c)
    this.clusterBytes += bytes
    if (this.clusters.size > this.limits.maxClusters || this.clusterBytes > this.limits.maxBytes) this.evictClusters()
  }

  /** Drops the least recently used half of the clusters (their patterns stay in the table until evicted). */
  private evictClusters(): void {
    const ticks: Array<number> = []
    for (const c of this.clusters.values()) ticks.push(c.lastUse)
    ticks.sort((a, b) => a - b)
    const cutoff = ticks[Math.floor(ticks.length / 2)]!
    for (const [key, c] of this.clusters) {
      if (c.lastUse <= cutoff) {
        this.clusters.delete(key)
        this.clusterBytes -= c.bytes
      }
    }
  }

  private makePattern(line: string, t: Tokens, wild: Uint8Array): PatternEntry {
    const groups: Array<number> = []
    const words = t.count
    for (let i = 0; i < words; i++) {
      if (wild[i] === 0) continue
      const first = i
      // Merge the next wild word when it follows directly or after one punctuation character.
      while (i + 1 < words && wild[i + 1] === 1 && joins(line, t.end[i]!, t.start[i + 1]!)) i++
      groups.push(first, i)
    }
    const segments: Array<string> = []
    const posList: Array<number> = []
    let prev = 0
    let bytes = 0
    for (let g = 0; g < groups.length; g += 2) {
      const seg = line.slice(prev, t.start[groups[g]!]!)
      segments.push(seg)
      bytes += t.ascii ? seg.length : utf8.encode(seg).length
      posList.push(bytes)
      prev = t.end[groups[g + 1]!]!
    }
    segments.push(line.slice(prev))
    const template = segments.join("")
    const patternId = this.table.allocateId()
    return {
      define: { _tag: "PatternDefine", patternId, template, paramCount: posList.length, posList },
      segments,
      groups: Int32Array.from(groups),
      bytes: patternOverheadBytes + 4 * template.length + 12 * posList.length,
      uses: 0,
      lastUse: 0,
      refs: 0,
      lastBatch: 0,
      evicted: false,
      owner: this.table
    }
  }
}

/** True when the text between two words is nothing or one punctuation character (not whitespace). */
const joins = (line: string, end: number, start: number): boolean => {
  if (start === end) return true
  if (start !== end + 1) return false
  const c = line.charCodeAt(end)
  return c !== 32 && c !== 9
}

/** Whether `line` is exactly the pattern's segments with the line's own text at the parameter spans. */
export const fits = (p: PatternEntry, line: string, t: Tokens): boolean => {
  const segs = p.segments
  const groups = p.groups
  const params = segs.length - 1
  if (params === 0) return line === segs[0]
  let pos = 0
  for (let j = 0; j < params; j++) {
    const seg = segs[j]!
    const valueStart = t.start[groups[2 * j]!]!
    if (valueStart - pos !== seg.length || !line.startsWith(seg, pos)) return false
    pos = t.end[groups[2 * j + 1]!]!
  }
  const last = segs[params]!
  return line.length - pos === last.length && line.endsWith(last)
}
