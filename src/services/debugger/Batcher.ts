/**
 * Pure batching state for the uploader. Items are grouped by (channel, ddtags); a batch is flushed when
 * one more item would pass the item or byte limit (checked before appending), when it is full, or
 * `interval` ms after its first item.
 */
export type Channel = "snapshot" | "diagnostic"

export interface UploadItem {
  readonly channel: Channel
  readonly ddtags: string
  readonly json: string
  /** UTF-8 length of `json`. */
  readonly bytes: number
}

export interface Batch {
  readonly channel: Channel
  readonly ddtags: string
  readonly items: ReadonlyArray<string>
  /** Bytes of the JSON array body `[a,b,…]`. */
  readonly bytes: number
  readonly openedAt: number
}

export interface BatchLimits {
  readonly maxItems: number
  readonly maxBytes: number
  readonly intervalMs: number
}

export const defaultBatchLimits: BatchLimits = { maxItems: 1024, maxBytes: 1024 * 1024, intervalMs: 100 }

export type BatchState = ReadonlyMap<string, Batch>
export const emptyBatches: BatchState = new Map()

export interface Step {
  readonly state: BatchState
  readonly flush: ReadonlyArray<Batch>
}

const keyOf = (channel: Channel, ddtags: string): string => `${channel}\n${ddtags}`

export const addItem = (state: BatchState, item: UploadItem, now: number, limits: BatchLimits): Step => {
  const key = keyOf(item.channel, item.ddtags)
  const open = state.get(key)
  const flush: Array<Batch> = []
  let base = open
  if (open !== undefined && (open.items.length + 1 > limits.maxItems || open.bytes + 1 + item.bytes > limits.maxBytes)) {
    flush.push(open)
    base = undefined
  }
  const next: Batch = base === undefined
    ? { channel: item.channel, ddtags: item.ddtags, items: [item.json], bytes: 2 + item.bytes, openedAt: now }
    : { ...base, items: [...base.items, item.json], bytes: base.bytes + 1 + item.bytes }
  const out = new Map(state)
  if (next.items.length >= limits.maxItems || next.bytes >= limits.maxBytes) {
    flush.push(next)
    out.delete(key)
  } else out.set(key, next)
  return { state: out, flush }
}

/** Batches whose interval has elapsed at `now`. */
export const dueBatches = (state: BatchState, now: number, limits: BatchLimits): Step => {
  const flush: Array<Batch> = []
  const out = new Map(state)
  for (const [k, b] of state) {
    if (b.openedAt + limits.intervalMs <= now) {
      flush.push(b)
      out.delete(k)
    }
  }
  return { state: out, flush }
}

/** When the next batch falls due, if any. */
export const nextDeadline = (state: BatchState, limits: BatchLimits): number | undefined => {
  let min: number | undefined
  for (const b of state.values()) {
    const d = b.openedAt + limits.intervalMs
    if (min === undefined || d < min) min = d
  }
  return min
}

export const drainBatches = (state: BatchState): Step => ({ state: emptyBatches, flush: [...state.values()] })

export const batchBody = (b: Batch): string => `[${b.items.join(",")}]`
