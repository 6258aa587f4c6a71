/**
 * Splits a byte stream into lines, remembering for each line the byte offset just past its newline (where a
 * restart resumes). The line ending (LF, or CRLF) is removed; everything else is kept. A line longer than
 * `maxLineBytes` is cut into pieces of at most that size, each marked `truncated`, so one runaway line cannot
 * exhaust memory; cuts fall on UTF-8 character boundaries, and a CR that may be half of a CRLF ending is not
 * counted against the limit until the next byte shows what it is.
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
      if (end > start) {
        this.pending.push(Buffer.from(chunk.subarray(start, end))) // copy: the read buffer is reused
        this.pendingBytes += end - start
        this.offset += end - start
      }
      if (nl === -1) {
        // Unterminated so far: cut what is certainly over the limit, keeping a last CR undecided.
        while (this.contentBytes() > this.maxLineBytes) out.push(this.cut())
        return out
      }
      this.offset += 1
      while (this.contentBytes() > this.maxLineBytes) out.push(this.cut())
      const line = this.takeAll()
      const text = line.length > 0 && line[line.length - 1] === CR
        ? this.decoder.decode(line.subarray(0, line.length - 1))
        : this.decoder.decode(line)
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

  /**
   * Held bytes that count against the limit: a final CR is left out, since it is the line ending when a LF
   * follows (and is counted with the next bytes otherwise).
   */
  private contentBytes(): number {
    const last = this.pending[this.pending.length - 1]
    return last !== undefined && last.length > 0 && last[last.length - 1] === CR ? this.pendingBytes - 1 : this.pendingBytes
  }

  /** Emits the first piece of the held line: at most the limit, ending on a character boundary. */
  private cut(): SplitLine {
    const all = this.takeAll()
    let at = this.maxLineBytes
    let back = 0
    // A continuation byte (10xxxxxx) at the cut means the cut splits a character: move it to the lead byte.
    while (back < 3 && at - back > 0 && (all[at - back]! & 0xc0) === 0x80) back++
    if (back < at) at -= back
    const rest = all.subarray(at)
    if (rest.length > 0) {
      this.pending = [rest]
      this.pendingBytes = rest.length
    }
    return { text: this.decoder.decode(all.subarray(0, at)), endOffset: this.offset - rest.length, truncated: true }
  }

  private takeAll(): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending)
    this.pending = []
    this.pendingBytes = 0
    return all
  }
}
