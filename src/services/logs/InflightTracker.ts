/**
 * FIFO of sealed payloads with a sent region (awaiting acks on the current stream) followed by an unsent
 * region, bounded by count and by bytes. The acknowledged snapshot — the dictionary and patterns as of just
 * before the oldest payload held — is updated only when a payload is acknowledged, so a new stream restored
 * from it can replay every held payload verbatim. Pure and synchronous.
 */
import type { Datum, DictEntryDefine, PatternDefine } from "./Datum.js"
import type { Payload } from "./Payload.js"

export interface InflightLimits {
  readonly maxPayloads: number
  readonly maxBytes: number
}

/**
 * Enough for the send window (64 batches on the wire; a 1000-line batch of access logs holds ~40 KB compressed,
 * so ~2.5 MiB in all) and some 40 more batches waiting to refill it. Reading further ahead of a slower intake gains no
 * throughput, it only holds memory: at the former 16 MiB (~440 such batches), a heap snapshot of `logs send`
 * at 1 M lines showed held payloads as 17 of its 39 MiB of live heap, and peak RSS was 150-153 MiB against
 * 140-142 MiB with this bound, in the same runs.
 */
export const defaultInflightLimits: InflightLimits = { maxPayloads: 10_000, maxBytes: 4 * 1024 * 1024 }

/**
 * The memory a held payload really keeps alive: its compressed bytes' whole backing store, the strings of the
 * definitions it carries (UTF-16 in the heap), and a fixed allowance for the payload's objects and arrays.
 */
export const heldBytes = (p: Payload): number => {
  let state = 0
  for (const d of p.stateChanges) state += 64 + (d._tag === "DictEntryDefine" ? 2 * d.value.length : 0)
  return p.data.buffer.byteLength + state + 256 + 32 * p.positions.length
}

export class InflightTracker {
  private items: Array<Payload | undefined> = []
  private head = 0
  private sentEnd = 0
  private heldBytes = 0
  private heldLogs = 0
  private readonly dict = new Map<number, string>()
  private readonly patterns = new Map<number, PatternDefine>()

  constructor(readonly limits: InflightLimits = defaultInflightLimits) {}

  /** Payloads held (sent and unsent). */
  get count(): number {
    return this.items.length - this.head
  }
  get bytes(): number {
    return this.heldBytes
  }
  /** Logs in the held payloads. */
  get logs(): number {
    return this.heldLogs
  }
  get sentCount(): number {
    return this.sentEnd - this.head
  }
  get unsentCount(): number {
    return this.items.length - this.sentEnd
  }

  /**
   * Room for one more payload. The byte bound admits a payload while the held bytes are under the limit, so
   * it is exceeded by at most one payload.
   */
  get hasSpace(): boolean {
    return this.count < this.limits.maxPayloads && this.heldBytes < this.limits.maxBytes
  }

  append(p: Payload): void {
    this.items.push(p)
    this.heldBytes += heldBytes(p)
    this.heldLogs += p.logCount
  }

  /** Moves the oldest unsent payload to the sent region and returns it. */
  markSent(): Payload | undefined {
    if (this.sentEnd >= this.items.length) return undefined
    return this.items[this.sentEnd++]
  }

  /** Removes the oldest sent payload (it was acknowledged) and applies its state changes to the snapshot. */
  pop(): Payload | undefined {
    if (this.head >= this.sentEnd) return undefined
    const p = this.items[this.head]!
    this.items[this.head] = undefined
    this.head++
    this.heldBytes -= heldBytes(p)
    this.heldLogs -= p.logCount
    for (const d of p.stateChanges) this.applyState(d)
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.sentEnd -= this.head
      this.head = 0
    }
    return p
  }

  /** Stream rotation: every unacknowledged payload becomes unsent again, in the same order. */
  rewind(): number {
    const n = this.sentEnd - this.head
    this.sentEnd = this.head
    return n
  }

  /**
   * The snapshot (batch 0) for a new stream: defines only, patterns then dictionary entries, each by
   * ascending id, so the same state always produces the same bytes.
   */
  snapshot(): ReadonlyArray<PatternDefine | DictEntryDefine> {
    const out: Array<PatternDefine | DictEntryDefine> = []
    for (const id of [...this.patterns.keys()].sort((a, b) => a - b)) out.push(this.patterns.get(id)!)
    for (const id of [...this.dict.keys()].sort((a, b) => a - b)) {
      out.push({ _tag: "DictEntryDefine", id, value: this.dict.get(id)! })
    }
    return out
  }

  get snapshotEntries(): number {
    return this.dict.size + this.patterns.size
  }

  private applyState(d: Datum): void {
    switch (d._tag) {
      case "DictEntryDefine":
        this.dict.set(d.id, d.value)
        break
      case "DictEntryDelete":
        this.dict.delete(d.id)
        break
      case "PatternDefine":
        this.patterns.set(d.patternId, d)
        break
      case "PatternDelete":
        this.patterns.delete(d.patternId)
        break
      default:
        break
    }
  }
}
