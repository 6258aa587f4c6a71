/**
 * The sender's string dictionary (tag sets, statuses, recurring values): ids allocated by the sender, bounded
 * by entry count and by bytes. Crossing either bound evicts down to 85 % of it, coldest first (usage score:
 * batches that used the entry, decayed by the batches since — `StateRef.ts`), never an entry the open batch
 * references. An evicted entry leaves the lookup at once (later logs get a fresh id and a fresh define), but
 * its `DictEntryDelete` is released only when no unacknowledged batch references the id, so a replayed batch
 * never meets a deleted id. Ids are never reused. Pure and synchronous: the stream worker's driver fiber owns
 * one instance.
 */
import type { DictEntryDelete } from "./Datum.js"
import { RefCountedTable, type StateRef, touch, type Usage } from "./StateRef.js"

export interface DictEntry extends StateRef, Usage {
  readonly id: number
  readonly value: string
  /** UTF-8 size of `value`. */
  readonly bytes: number
}

export interface DictionaryLimits {
  readonly maxEntries: number
  readonly maxBytes: number
}

export const defaultDictionaryLimits: DictionaryLimits = { maxEntries: 4096, maxBytes: 4 * 1024 * 1024 }

export interface DictionaryStats {
  readonly entries: number
  readonly bytes: number
  /** Evicted entries whose delete waits for unacknowledged batches. */
  readonly pendingEvictions: number
  readonly evictions: number
}

export class Dictionary extends RefCountedTable<DictEntry, DictEntryDelete> {
  private readonly live = new Map<string, DictEntry>()
  private liveBytes = 0
  private nextId = 1

  constructor(readonly limits: DictionaryLimits = defaultDictionaryLimits) {
    super()
    if (!(limits.maxEntries >= 1) || !(limits.maxBytes >= 1)) {
      throw new RangeError(`dictionary limits must be >= 1 (got ${limits.maxEntries} entries, ${limits.maxBytes} bytes)`)
    }
  }

  /**
   * Returns the entry for `value`, referenced by the open batch. `onDefine` is called when the value is new
   * (the caller emits the DictEntryDefine). Eviction never removes an entry the open batch references.
   */
  intern(value: string, onDefine: (entry: DictEntry) => void): DictEntry {
    let entry = this.live.get(value)
    if (entry !== undefined) {
      // Already referenced by the open batch: nothing to update (usage counts batches).
      if (entry.lastBatch === this.openBatch) return entry
      touch(entry, this.openBatch)
      this.reference(entry)
      return entry
    }
    entry = { id: this.nextId++, value, bytes: Buffer.byteLength(value), refs: 0, lastBatch: 0, evicted: false, owner: this, uses: 1, lastUse: this.openBatch }
    this.live.set(value, entry)
    this.liveBytes += entry.bytes
    onDefine(entry)
    this.reference(entry)
    if (this.live.size > this.limits.maxEntries || this.liveBytes > this.limits.maxBytes) this.evict()
    return entry
  }

  /** The entry for `value` if it is live, without referencing it. */
  find(value: string): DictEntry | undefined {
    return this.live.get(value)
  }

  get stats(): DictionaryStats {
    return { entries: this.live.size, bytes: this.liveBytes, pendingEvictions: this.waiting, evictions: this.evictionCount }
  }

  protected deleteOf(e: DictEntry): DictEntryDelete {
    return { _tag: "DictEntryDelete", id: e.id }
  }

  /** Evicts down to 85 % of the bounds, so the sort is paid once per many new entries. */
  private evict(): void {
    const maxEntries = Math.floor(this.limits.maxEntries * 0.85)
    const maxBytes = Math.floor(this.limits.maxBytes * 0.85)
    this.evictColdest(this.live.values(), () => this.live.size <= maxEntries && this.liveBytes <= maxBytes, (e) => {
      this.live.delete(e.value)
      this.liveBytes -= e.bytes
    })
  }
}
