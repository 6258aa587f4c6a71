/**
 * The one line reader of every log input (tailed files, stdin, TCP, `logs send`): splits a byte stream into
 * lines, remembering for each line the byte offset just past its newline (where a restart resumes).
 *
 * - A line ends at LF; a CR just before the LF is removed too (CRLF); everything else is kept.
 * - A line longer than `maxLineBytes` is cut into pieces of at most that size, each marked `truncated`, so one
 *   runaway line cannot exhaust memory. Cuts fall on UTF-8 character boundaries, and a CR that may be half of a
 *   CRLF ending is not counted against the limit until the next byte shows what it is.
 * - Bytes are decoded as UTF-8 line by line; an invalid sequence becomes U+FFFD (one per maximal invalid
 *   subsequence, the WHATWG rule that both `TextDecoder` and `Buffer#toString` follow), so a bad byte never
 *   spills into a neighbouring line.
 * - At end of input, `end()` returns a last line that has no newline, as it is (a final CR stays: without an LF
 *   it is not a line ending).
 *
 * Lines that lie within one chunk are decoded straight from it (no copy, no concatenation); only a line that
 * spans reads is held, as the list of its pieces.
 */

export interface SplitLine {
  readonly text: string
  /** Byte offset in the stream just after this line's terminator (or after the piece, when truncated). */
  readonly endOffset: number
  readonly truncated: boolean
}

/** The line length limit inputs use unless configured otherwise. */
export const defaultMaxLineBytes = 256 * 1024

const NL = 0x0a
const CR = 0x0d

export class LineSplitter {
  private pending: Array<Buffer> = []
  private pendingBytes = 0

  /** `offset` is the stream offset of the first byte not yet fed. */
  constructor(private offset: number, private readonly maxLineBytes: number = defaultMaxLineBytes) {}

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

  /** Feeds the next bytes; returns the lines (and pieces of over-long lines) they complete. */
  feed(chunk: Uint8Array): Array<SplitLine> {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const out: Array<SplitLine> = []
    const max = this.maxLineBytes
    let start = 0
    for (;;) {
      const nl = buf.indexOf(NL, start)
      if (nl === -1) {
        if (start < buf.length) this.hold(buf, start, buf.length)
        // Unterminated so far: cut what is certainly over the limit, keeping a last CR undecided.
        while (this.contentBytes() > max) out.push(this.cut())
        return out
      }
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl
      if (this.pendingBytes === 0 && end - start <= max) {
        // The common case: the whole line is in this chunk.
        this.offset += nl + 1 - start
        out.push({ text: buf.toString("utf8", start, end), endOffset: this.offset, truncated: false })
      } else {
        if (nl > start) this.hold(buf, start, nl)
        this.offset += 1
        while (this.contentBytes() > max) out.push(this.cut())
        const line = this.takeAll()
        const len = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length
        out.push({ text: line.toString("utf8", 0, len), endOffset: this.offset, truncated: false })
      }
      start = nl + 1
    }
  }

  /** At end of input: the held last line, which has no newline, if there is one. */
  end(): SplitLine | undefined {
    if (this.pendingBytes === 0) return undefined
    const line = this.takeAll()
    return { text: line.toString("utf8"), endOffset: this.offset, truncated: false }
  }

  /** Starts over at `offset` (after truncation or rotation), dropping any held partial line. */
  reset(offset: number): void {
    this.pending = []
    this.pendingBytes = 0
    this.offset = offset
  }

  /** Keeps `buf[from, to)` as part of the held line (copied: read buffers are reused). */
  private hold(buf: Buffer, from: number, to: number): void {
    this.pending.push(Buffer.from(buf.subarray(from, to)))
    this.pendingBytes += to - from
    this.offset += to - from
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
    return { text: all.toString("utf8", 0, at), endOffset: this.offset - rest.length, truncated: true }
  }

  private takeAll(): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending)
    this.pending = []
    this.pendingBytes = 0
    return all
  }
}
