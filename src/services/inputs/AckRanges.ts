/**
 * Per source, the offset below which every byte handed out was settled, from settled ranges `[start, end)`
 * that may arrive in any order (several stream workers settle chunks independently). Each chunk an input
 * hands out covers the bytes from the previous chunk's end to its own, so the ranges tile the source and the
 * committed offset advances over the contiguous run from where reading started. Pure.
 */
export class AckRanges {
  /** Ranges settled ahead of the committed offset: start → end. */
  private readonly ahead = new Map<number, number>()

  constructor(private committed: number) {}

  /** The offset below which everything handed out was settled. */
  get committedOffset(): number {
    return this.committed
  }

  /** Ranges settled ahead of a gap. */
  get waiting(): number {
    return this.ahead.size
  }

  /** Settles `[start, end)`; returns the new committed offset when it moved. */
  settle(start: number, end: number): number | undefined {
    if (end <= this.committed) return undefined
    if (start > this.committed) {
      this.ahead.set(start, end)
      return undefined
    }
    this.committed = end
    for (let next = this.ahead.get(this.committed); next !== undefined; next = this.ahead.get(this.committed)) {
      this.ahead.delete(this.committed)
      this.committed = next
    }
    return this.committed
  }
}
