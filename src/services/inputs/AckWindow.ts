/**
 * Per-file acknowledgement window: lines are acknowledged possibly out of order (several stream workers), and
 * the registry may only record the offset up to which *every* line was acknowledged.
 */
export class AckWindow {
  private nextSeq = 0
  private firstUnacked = 0
  private readonly ends = new Map<number, number>()
  private readonly acked = new Set<number>()

  constructor(private committed: number) {}

  /** The offset below which every line was acknowledged. */
  get committedOffset(): number {
    return this.committed
  }

  /** Lines handed out and not yet acknowledged. */
  get outstanding(): number {
    return this.nextSeq - this.firstUnacked
  }

  /** Registers a line ending at `endOffset`; returns its sequence number. */
  track(endOffset: number): number {
    const seq = this.nextSeq++
    this.ends.set(seq, endOffset)
    return seq
  }

  /** Acknowledges a line; returns the new committed offset when it moved. */
  ack(seq: number): number | undefined {
    if (seq < this.firstUnacked || !this.ends.has(seq)) return undefined
    this.acked.add(seq)
    let moved = false
    while (this.acked.has(this.firstUnacked)) {
      this.acked.delete(this.firstUnacked)
      this.committed = this.ends.get(this.firstUnacked)!
      this.ends.delete(this.firstUnacked)
      this.firstUnacked++
      moved = true
    }
    return moved ? this.committed : undefined
  }

  /** Forgets every outstanding line (the file was truncated or replaced); commits `offset`. */
  restart(offset: number): void {
    this.ends.clear()
    this.acked.clear()
    this.firstUnacked = this.nextSeq
    this.committed = offset
  }
}
