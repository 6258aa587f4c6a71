/**
 * The sender's live patterns, bounded by count and by bytes. Reaching either limit evicts down to 85 % of it,
 * lowest usage score first (uses decayed by the batches since the last use, `StateRef.ts`), never a pattern the open
 * batch references; when only such patterns are left, no new pattern is added (its log goes raw). An evicted pattern leaves at once (later logs of its shape get a new pattern), but its
 * `PatternDelete` waits until no unacknowledged batch references it (`StateRef`). Ids are never reused.
 * Pure and synchronous; the stream worker's driver fiber owns one instance.
 */
import type { PatternDefine, PatternDelete } from "../Datum.js"
import { RefCountedTable, type StateRef, touch, type Usage } from "../StateRef.js"

export interface PatternEntry extends StateRef, Usage {
  readonly define: PatternDefine
  /** `paramCount + 1` literal segments of the template (UTF-16), value i goes between segment i and i + 1. */
  readonly segments: ReadonlyArray<string>
  /** Per parameter, the first and last word it spans: `[first0, last0, first1, last1, …]`. */
  readonly groups: Int32Array
  /** Accounted memory: template, segments and fixed overhead. */
  readonly bytes: number
}

export interface PatternLimits {
  readonly maxPatterns: number
  readonly maxBytes: number
}

/**
 * Within Datadog's 4 MiB pattern budget: 3 MiB here, so patterns, clusters and admission candidates together
 * take at most 4 MiB, and 8 MiB with the dictionary's 4 MiB.
 */
export const defaultPatternLimits: PatternLimits = { maxPatterns: 4096, maxBytes: 3 * 1024 * 1024 }

/** Fixed accounting per pattern beyond its text: the entry object, arrays and map slots. */
export const patternOverheadBytes = 200

export interface PatternTableStats {
  readonly patterns: number
  readonly bytes: number
  /** Evicted patterns whose delete waits for unacknowledged batches. */
  readonly pendingEvictions: number
  readonly evictions: number
}

export class PatternTable extends RefCountedTable<PatternEntry, PatternDelete> {
  private readonly live = new Set<PatternEntry>()
  private liveBytes = 0
  private nextId = 1

  constructor(readonly limits: PatternLimits = defaultPatternLimits) {
    super()
    if (!(limits.maxPatterns >= 1) || !(limits.maxBytes >= 1)) {
      throw new RangeError(`pattern limits must be >= 1 (got ${limits.maxPatterns} patterns, ${limits.maxBytes} bytes)`)
    }
  }

  /** Allocates the next pattern id. */
  allocateId(): number {
    return this.nextId++
  }

  /**
   * Adds a new pattern, referenced by the open batch, evicting others if needed. Returns false, adding
   * nothing, when the limits are reached by patterns the open batch references (which cannot be evicted).
   */
  add(entry: PatternEntry): boolean {
    if (this.live.size >= this.limits.maxPatterns || this.liveBytes + entry.bytes > this.limits.maxBytes) {
      this.evict(entry.bytes)
      if (this.live.size >= this.limits.maxPatterns || this.liveBytes + entry.bytes > this.limits.maxBytes) return false
    }
    this.live.add(entry)
    this.liveBytes += entry.bytes
    this.use(entry)
    return true
  }

  /** Records a use of a live pattern by the open batch. */
  use(entry: PatternEntry): void {
    touch(entry, this.openBatch)
    this.reference(entry)
  }

  get stats(): PatternTableStats {
    return { patterns: this.live.size, bytes: this.liveBytes, pendingEvictions: this.waiting, evictions: this.evictionCount }
  }

  protected deleteOf(e: PatternEntry): PatternDelete {
    return { _tag: "PatternDelete", patternId: e.define.patternId }
  }

  /** Evicts down to 85 % of the limits, leaving room for `incoming` bytes. */
  private evict(incoming: number): void {
    const targetCount = Math.floor(this.limits.maxPatterns * 0.85)
    const targetBytes = Math.floor(this.limits.maxBytes * 0.85) - incoming
    this.evictColdest(this.live, () => this.live.size <= targetCount && this.liveBytes <= targetBytes, (e) => {
      this.live.delete(e)
      this.liveBytes -= e.bytes
    })
  }
}
