/**
 * Splits a byte stream into lines, remembering for each line the byte offset just past its newline (where a
 * restart resumes). A line longer than `maxLineBytes` is cut into pieces of that size, each marked
 * `truncated`, so one runaway line cannot exhaust memory.
 */

export interface SplitLine {
  readonly text: string
  /** Byte offset in the file just after this line's terminator (or after the piece, when truncated). */
  readonly endOffset: number
  readonly truncated: boolean
}

const NL = 0x0a
const CR = 0x0d

export class LineSplitter {
  private pending: Array<Buffer> = []
  private pendingBytes = 0
  private readonly decoder = new TextDecoder("utf-8")

  /** `offset` is the file offset of the first byte not yet fed. */
  constructor(private offset: number, private readonly maxLineBytes: number) {}

  get position(): number {
    return this.offset
  }

  /** Bytes held for an unterminated last line. */
  get pendingLength(): number {
    return this.pendingBytes
  }

  /** The offset where the held partial line starts (what a restart must re-read). */
  get committedPosition(): number {
    return this.offset - this.pendingBytes
  }

  feed(chunk: Buffer): Array<SplitLine> {
    const out: Array<SplitLine> = []
    let start = 0
    for (;;) {
      const nl = chunk.indexOf(NL, start)
      const end = nl === -1 ? chunk.length : nl
      // A CR right before the newline is the line ending, not content: it does not count against the limit.
      const contentEnd = nl !== -1 && end > start && chunk[end - 1] === CR ? end - 1 : end
      // Cut over-long lines before they grow past the limit, on a character boundary (never inside a
      // UTF-8 sequence, so each piece decodes cleanly).
      while (this.pendingBytes + (contentEnd - start) > this.maxLineBytes) {
        let take = this.maxLineBytes - this.pendingBytes
        let back = 0
        while (back < 3 && back < take && (chunk[start + take - back]! & 0xc0) === 0x80) back++
        if (back < take) take -= back
        this.push(chunk.subarray(start, start + take))
        start += take
        this.offset += take
        out.push({ text: this.takePending(), endOffset: this.offset, truncated: true })
      }
      if (nl === -1) {
        if (end > start) {
          this.push(chunk.subarray(start, end))
          this.offset += end - start
        }
        return out
      }
      this.push(chunk.subarray(start, end))
      this.offset += end - start + 1
      let text = this.takePending()
      if (text.endsWith("\r")) text = text.slice(0, -1)
      out.push({ text, endOffset: this.offset, truncated: false })
      start = nl + 1
    }
  }

  /** Starts over at `offset` (after truncation or rotation), dropping any held partial line. */
  reset(offset: number): void {
    this.pending = []
    this.pendingBytes = 0
    this.offset = offset
  }

  private push(b: Buffer) {
    if (b.length === 0) return
    this.pending.push(Buffer.from(b)) // copy: the read buffer is reused
    this.pendingBytes += b.length
  }

  private takePending(): string {
    const text = this.pending.length === 1 ? this.decoder.decode(this.pending[0]) : this.decoder.decode(Buffer.concat(this.pending))
    this.pending = []
    this.pendingBytes = 0
    return text
  }
}
