/**
 * A least-recently-used map bounded by entry count and by an approximate byte size. Mutable and
 * synchronous (no I/O): the resolver owns one instance and reads it on the hot path without allocation.
 */
export interface LruLimits {
  readonly maxEntries: number
  readonly maxBytes: number
}

export class BoundedLru<K, V> {
  private readonly map = new Map<K, { value: V; bytes: number }>()
  private bytes = 0
  constructor(readonly limits: LruLimits) {
    if (!(limits.maxEntries >= 1) || !(limits.maxBytes >= 1)) {
      throw new RangeError(`LRU limits must be >= 1 (maxEntries=${limits.maxEntries}, maxBytes=${limits.maxBytes})`)
    }
  }

  get size(): number {
    return this.map.size
  }
  get totalBytes(): number {
    return this.bytes
  }

  /** Reads and marks as most recently used. */
  get(key: K): V | undefined {
    const slot = this.map.get(key)
    if (slot === undefined) return undefined
    this.map.delete(key)
    this.map.set(key, slot)
    return slot.value
  }

  /** Reads without changing the recency order. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value
  }

  /** Inserts or replaces; returns what had to be evicted (least recent first) to respect both limits. */
  set(key: K, value: V, bytes: number): ReadonlyArray<readonly [K, V]> {
    this.delete(key)
    this.map.set(key, { value, bytes })
    this.bytes += bytes
    const evicted: Array<readonly [K, V]> = []
    while (this.map.size > this.limits.maxEntries || (this.bytes > this.limits.maxBytes && this.map.size > 1)) {
      const oldest = this.map.keys().next()
      if (oldest.done === true) break
      const k = oldest.value
      const slot = this.map.get(k)!
      this.map.delete(k)
      this.bytes -= slot.bytes
      evicted.push([k, slot.value])
    }
    return evicted
  }

  delete(key: K): V | undefined {
    const slot = this.map.get(key)
    if (slot === undefined) return undefined
    this.map.delete(key)
    this.bytes -= slot.bytes
    return slot.value
  }

  /** Values from least to most recently used (a snapshot; safe to mutate the cache while iterating it). */
  values(): ReadonlyArray<V> {
    return [...this.map.values()].map((s) => s.value)
  }
}
