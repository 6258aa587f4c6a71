/**
 * The decode side of contract A: a hand-written protobuf reader for `DatumSequence` that yields one datum at a
 * time. It reads 64-bit fields exactly (`WireInt`: a number when safe, a bigint otherwise) where the generated
 * code would round them through a double, rejects varints longer than 10 bytes, and lets the caller stop or
 * pause between datums (per-batch limits, yielding the event loop). It reads a whole payload, or one fed a
 * chunk at a time as it is decompressed (`incremental`), so that a caller can stop at a limit before the rest
 * is inflated. Field numbers are the contract's (../shared/specs/wire-contract.md); wire types: varint 0,
 * 64-bit 1, length-delimited 2, 32-bit 5.
 */
import type { DecodedContent, DecodedDatum, DecodedTags, DecodedValue, WireInt } from "./DecodedDatum.js"
import { PayloadError } from "./errors.js"

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER)

/** The one representation of an exact integer: a number when safe, otherwise a bigint. */
const normalize = (v: bigint): WireInt => (v <= maxSafe && v >= -maxSafe ? Number(v) : v)

class Malformed {
  constructor(readonly offset: number, readonly message: string) {}
}

/** Returned by an incremental reader's `next` when the bytes fed so far end before the next datum does. */
export const needInput: unique symbol = Symbol("DatumReader.needInput")
export type NeedInput = typeof needInput

const noBytes = Buffer.alloc(0)
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

export class DatumReader {
  private buf: Buffer
  private pos = 0
  private end: number
  /** Offset of `buf[0]` in the payload (errors name payload offsets). */
  private base = 0
  /** Whether the payload's last byte has been given. */
  private ended: boolean
  /** A top-level field that runs past the bytes given so far, gathered (uncopied) until it is whole. */
  private parts: Array<Buffer> = []
  private partsBytes = 0
  /** Bytes that field needs in all (at least). */
  private needed = 0
  /** Whether `buf` is such a field, joined from its chunks. */
  private joined = false
  private total: number

  /** A reader of a whole payload. */
  constructor(bytes: Uint8Array) {
    this.buf = asBuffer(bytes)
    this.end = this.buf.length
    this.total = this.end
    this.ended = true
  }

  /** A reader fed with `feed` as the payload arrives; `next` returns `needInput` when it has read what it got. */
  static incremental(): DatumReader {
    const reader = new DatumReader(noBytes)
    reader.ended = false
    return reader
  }

  /** Bytes of payload given so far. */
  get byteLength(): number {
    return this.total
  }

  /** Bytes held for a field that spans chunks: gathered so far, or joined and not read yet. */
  get gatheredBytes(): number {
    return this.partsBytes + (this.joined ? this.end - this.pos : 0)
  }

  /** Gives the next bytes of the payload; call only after `next` returned `needInput`. */
  feed(chunk: Uint8Array): void {
    const bytes = asBuffer(chunk)
    this.total += bytes.length
    if (this.partsBytes === 0) {
      this.base += this.end
      this.buf = bytes
      this.joined = false
    } else {
      this.parts.push(bytes)
      this.partsBytes += bytes.length
      if (this.partsBytes < this.needed) return
      this.buf = Buffer.concat(this.parts, this.partsBytes)
      this.joined = true
      this.parts = []
      this.partsBytes = 0
    }
    this.pos = 0
    this.end = this.buf.length
  }

  /** The payload is complete: what is left is read to the end (a field cut short is malformed). */
  finish(): void {
    this.ended = true
    if (this.partsBytes > 0) {
      this.buf = Buffer.concat(this.parts, this.partsBytes)
      this.parts = []
      this.partsBytes = 0
      this.pos = 0
      this.end = this.buf.length
    }
  }

  /**
   * The next datum, `undefined` after the last one, or the first malformation found; `needInput` when an
   * incremental reader needs more bytes (or `finish`) to go on.
   */
  next(): DecodedDatum | undefined | PayloadError | NeedInput {
    if (this.partsBytes > 0) return needInput
    try {
      while (this.pos < this.end) {
        if (!this.ended && !this.fieldIsWhole()) return needInput
        const tag = this.tag(this.end, "DatumSequence")
        if (tag === ((1 << 3) | 2)) return this.datum(this.messageEnd(this.end, "DatumSequence.data"))
        this.skip(tag, this.end, "DatumSequence")
      }
      return this.ended ? undefined : needInput
    } catch (e) {
      if (e instanceof Malformed) {
        this.pos = this.end // a malformed sequence has nothing more to read
        this.ended = true
        return new PayloadError({
          reason: "Malformed",
          message: `payload is not a valid DatumSequence: byte ${this.base + e.offset}: ${e.message}`
        })
      }
      throw e
    }
  }

  /**
   * Whether the top-level field at `pos` is whole in `buf`; if not, what is left of `buf` is kept aside until
   * it is. A field whose header is malformed counts as whole: reading it reports the malformation.
   */
  private fieldIsWhole(): boolean {
    const start = this.pos
    const end = this.end
    const afterTag = this.varintEnd(start)
    let fieldEnd: number
    if (afterTag < 0) fieldEnd = end + 1 // the tag is cut: at least one more byte
    else if (afterTag === 0) return true
    else {
      switch (this.buf[start]! & 7) {
        case 0: {
          const after = this.varintEnd(afterTag)
          fieldEnd = after < 0 ? end + 1 : after === 0 ? start : after
          break
        }
        case 1:
          fieldEnd = afterTag + 8
          break
        case 5:
          fieldEnd = afterTag + 4
          break
        case 2: {
          const afterLength = this.varintEnd(afterTag)
          if (afterLength === 0) return true
          if (afterLength < 0) fieldEnd = end + 1
          else {
            this.pos = afterTag
            const len = this.varint(end, "DatumSequence")
            this.pos = start
            fieldEnd = typeof len === "number" ? afterLength + len : start
          }
          break
        }
        default:
          return true
      }
    }
    if (fieldEnd <= end) return true
    this.parts = [this.buf.subarray(start, end)]
    this.partsBytes = end - start
    this.needed = fieldEnd - start
    this.base += start
    this.buf = noBytes
    this.joined = false
    this.pos = 0
    this.end = 0
    return false
  }

  /** Where the varint at `from` ends: -1 when `buf` ends first, 0 when it is longer than 10 bytes. */
  private varintEnd(from: number): number {
    const stop = Math.min(this.end, from + 10)
    for (let p = from; p < stop; p++) if (this.buf[p]! < 0x80) return p + 1
    return stop === from + 10 ? 0 : -1
  }

  // --- primitives -------------------------------------------------------------------------------------

  /** An unsigned varint of up to 10 bytes: a number up to 7 bytes (49 bits, exact in a double), else a bigint. */
  private varint(end: number, field: string): number | bigint {
    const buf = this.buf
    let pos = this.pos
    let value = 0
    let mul = 1
    for (let i = 0; i < 7; i++) {
      if (pos >= end) throw new Malformed(pos, `${field}: varint runs past the end of its message`)
      const b = buf[pos++]!
      value += (b & 0x7f) * mul
      if (b < 0x80) {
        this.pos = pos
        return value
      }
      mul *= 128
    }
    let big = BigInt(value)
    for (let shift = 49n; shift < 70n; shift += 7n) {
      if (pos >= end) throw new Malformed(pos, `${field}: varint runs past the end of its message`)
      const b = buf[pos++]!
      big |= BigInt(b & 0x7f) << shift
      if (b < 0x80) {
        this.pos = pos
        return big
      }
    }
    throw new Malformed(this.pos, `${field}: varint longer than 10 bytes`)
  }

  private uint64(end: number, field: string): WireInt {
    const v = this.varint(end, field)
    return typeof v === "number" ? v : normalize(BigInt.asUintN(64, v))
  }

  private int64(end: number, field: string): WireInt {
    const v = this.varint(end, field)
    return typeof v === "number" ? v : normalize(BigInt.asIntN(64, v))
  }

  /** ZigZag: 0, -1, 1, -2 … are 0, 1, 2, 3 … on the wire. */
  private sint64(end: number, field: string): WireInt {
    const v = this.varint(end, field)
    if (typeof v === "number") return v % 2 === 1 ? -(v + 1) / 2 : v / 2
    const u = BigInt.asUintN(64, v)
    return normalize((u >> 1n) ^ -(u & 1n))
  }

  /** uint32 keeps the low 32 bits, as protobuf does. */
  private uint32(end: number, field: string): number {
    const v = this.varint(end, field)
    return typeof v === "number" ? v >>> 0 : Number(BigInt.asUintN(32, v))
  }

  private tag(end: number, message: string): number {
    const t = this.varint(end, `${message} field tag`)
    if (typeof t !== "number" || t > 0xffffffff || t >>> 3 === 0) throw new Malformed(this.pos, `${message}: invalid field tag`)
    return t
  }

  /** Reads a length prefix and returns where the length-delimited field ends. */
  private messageEnd(end: number, field: string): number {
    const start = this.pos
    const len = this.varint(end, field)
    if (typeof len !== "number" || this.pos + len > end) {
      throw new Malformed(start, `${field}: length ${len} runs past the end of its message`)
    }
    return this.pos + len
  }

  private string(end: number, field: string): string {
    const stop = this.messageEnd(end, field)
    const s = this.buf.toString("utf8", this.pos, stop)
    this.pos = stop
    return s
  }

  private double(end: number, field: string): number {
    if (this.pos + 8 > end) throw new Malformed(this.pos, `${field}: 8-byte value runs past the end of its message`)
    const v = this.buf.readDoubleLE(this.pos)
    this.pos += 8
    return v
  }

  /** Skips a field this reader does not use (unknown or deprecated), checking its framing. */
  private skip(tag: number, end: number, message: string): void {
    const field = `${message} field ${tag >>> 3}`
    switch (tag & 7) {
      case 0:
        this.varint(end, field)
        return
      case 1:
        return this.advance(8, end, field)
      case 2:
        this.pos = this.messageEnd(end, field)
        return
      case 5:
        return this.advance(4, end, field)
      default:
        throw new Malformed(this.pos, `${field}: unsupported wire type ${tag & 7}`)
    }
  }

  private advance(n: number, end: number, field: string): void {
    if (this.pos + n > end) throw new Malformed(this.pos, `${field}: value runs past the end of its message`)
    this.pos += n
  }

  /** A known field number with the wrong wire type is malformed, not silently misread. */
  private expect(tag: number, wireType: number, field: string): void {
    if ((tag & 7) !== wireType) throw new Malformed(this.pos, `${field}: wire type ${tag & 7} where ${wireType} was expected`)
  }

  // --- messages ---------------------------------------------------------------------------------------

  private datum(end: number): DecodedDatum {
    let out: DecodedDatum = { _tag: "Empty" }
    while (this.pos < end) {
      const tag = this.tag(end, "Datum")
      const field = tag >>> 3
      if (field < 1 || field > 6) {
        this.skip(tag, end, "Datum")
        continue
      }
      this.expect(tag, 2, "Datum.data")
      const stop = this.messageEnd(end, "Datum.data")
      // A oneof keeps the last member set.
      switch (field) {
        case 1:
          out = this.patternDefine(stop)
          break
        case 2:
          out = { _tag: "PatternDelete", patternId: this.idMessage(stop, "PatternDelete.pattern_id") }
          break
        case 3:
          out = this.dictEntryDefine(stop)
          break
        case 4:
          out = { _tag: "DictEntryDelete", id: this.idMessage(stop, "DictEntryDelete.id") }
          break
        case 5:
          out = this.deltaEncodingSync(stop)
          break
        case 6:
          out = this.log(stop)
          break
      }
      this.pos = stop
    }
    return out
  }

  /** A message whose only field (1) is a uint64 id. */
  private idMessage(end: number, field: string): WireInt {
    let id: WireInt = 0
    while (this.pos < end) {
      const tag = this.tag(end, field)
      if (tag >>> 3 === 1) {
        this.expect(tag, 0, field)
        id = this.uint64(end, field)
      } else this.skip(tag, end, field)
    }
    return id
  }

  private patternDefine(end: number): DecodedDatum {
    let patternId: WireInt = 0
    let template = ""
    let paramCount = 0
    const posList: Array<number> = []
    while (this.pos < end) {
      const tag = this.tag(end, "PatternDefine")
      switch (tag >>> 3) {
        case 1:
          this.expect(tag, 0, "PatternDefine.pattern_id")
          patternId = this.uint64(end, "PatternDefine.pattern_id")
          break
        case 2:
          this.expect(tag, 2, "PatternDefine.template")
          template = this.string(end, "PatternDefine.template")
          break
        case 3:
          this.expect(tag, 0, "PatternDefine.param_count")
          paramCount = this.uint32(end, "PatternDefine.param_count")
          break
        case 4:
          if ((tag & 7) === 2) { // packed
            const stop = this.messageEnd(end, "PatternDefine.pos_list")
            while (this.pos < stop) posList.push(this.uint32(stop, "PatternDefine.pos_list"))
          } else {
            this.expect(tag, 0, "PatternDefine.pos_list")
            posList.push(this.uint32(end, "PatternDefine.pos_list"))
          }
          break
        default:
          this.skip(tag, end, "PatternDefine")
      }
    }
    return { _tag: "PatternDefine", patternId, template, paramCount, posList }
  }

  private dictEntryDefine(end: number): DecodedDatum {
    let id: WireInt = 0
    let value = ""
    while (this.pos < end) {
      const tag = this.tag(end, "DictEntryDefine")
      switch (tag >>> 3) {
        case 1:
          this.expect(tag, 0, "DictEntryDefine.id")
          id = this.uint64(end, "DictEntryDefine.id")
          break
        case 2:
          this.expect(tag, 2, "DictEntryDefine.value")
          value = this.string(end, "DictEntryDefine.value")
          break
        default:
          this.skip(tag, end, "DictEntryDefine")
      }
    }
    return { _tag: "DictEntryDefine", id, value }
  }

  private deltaEncodingSync(end: number): DecodedDatum {
    let timestamp: WireInt = 0
    let patternId: WireInt = 0
    let tags: DecodedTags = undefined
    while (this.pos < end) {
      const tag = this.tag(end, "DeltaEncodingSync")
      switch (tag >>> 3) {
        case 1:
          this.expect(tag, 0, "DeltaEncodingSync.timestamp")
          timestamp = this.uint64(end, "DeltaEncodingSync.timestamp")
          break
        case 2:
          this.expect(tag, 0, "DeltaEncodingSync.pattern_id")
          patternId = this.uint64(end, "DeltaEncodingSync.pattern_id")
          break
        case 3:
          this.expect(tag, 2, "DeltaEncodingSync.tags")
          tags = this.tagSet(this.messageEnd(end, "DeltaEncodingSync.tags"))
          break
        default:
          this.skip(tag, end, "DeltaEncodingSync")
      }
    }
    return { _tag: "DeltaEncodingSync", timestamp, patternId, tags }
  }

  private log(end: number): DecodedDatum {
    let timestamp: WireInt = 0
    let content: DecodedContent | undefined
    let tags: DecodedTags = undefined
    let uuid: string | undefined
    let status: DecodedValue | undefined
    while (this.pos < end) {
      const tag = this.tag(end, "Log")
      switch (tag >>> 3) {
        case 1:
          this.expect(tag, 0, "Log.timestamp")
          timestamp = this.sint64(end, "Log.timestamp")
          break
        case 2:
          this.expect(tag, 2, "Log.structured")
          content = this.structured(this.messageEnd(end, "Log.structured"))
          break
        case 3:
          this.expect(tag, 2, "Log.raw")
          content = { _tag: "Raw", raw: this.string(end, "Log.raw") }
          break
        case 4:
          this.expect(tag, 2, "Log.tags")
          tags = this.tagSet(this.messageEnd(end, "Log.tags"))
          break
        case 5:
          this.expect(tag, 2, "Log.uuid")
          uuid = this.string(end, "Log.uuid")
          break
        case 6:
          this.expect(tag, 2, "Log.status")
          status = this.value(this.messageEnd(end, "Log.status"), "Log.status")
          break
        default:
          this.skip(tag, end, "Log")
      }
    }
    if (content === undefined) return { _tag: "ContentlessLog" }
    return { _tag: "Log", timestamp, content, tags, uuid, status }
  }

  private structured(end: number): DecodedContent {
    let patternId: WireInt = 0
    const values: Array<DecodedValue> = []
    while (this.pos < end) {
      const tag = this.tag(end, "StructuredLog")
      switch (tag >>> 3) {
        case 1:
          this.expect(tag, 0, "StructuredLog.pattern_id")
          patternId = this.uint64(end, "StructuredLog.pattern_id")
          break
        case 2:
          this.expect(tag, 2, "StructuredLog.dynamic_values")
          // A DynamicValue with no member renders as an empty string.
          values.push(
            this.value(this.messageEnd(end, "StructuredLog.dynamic_values"), "StructuredLog.dynamic_values") ??
              { _tag: "String", value: "" }
          )
          break
        default: // json_context and the json_* fields are not part of the rebuild
          this.skip(tag, end, "StructuredLog")
      }
    }
    return { _tag: "Structured", patternId, values }
  }

  /** A TagSet: present without a value means "no tags" (null). */
  private tagSet(end: number): DecodedTags {
    let tags: DecodedValue | undefined
    while (this.pos < end) {
      const tag = this.tag(end, "TagSet")
      if (tag >>> 3 === 1) {
        this.expect(tag, 2, "TagSet.tagset")
        tags = this.value(this.messageEnd(end, "TagSet.tagset"), "TagSet.tagset")
      } else this.skip(tag, end, "TagSet")
    }
    return tags ?? null
  }

  /** A DynamicValue; `undefined` when no member is set (a oneof keeps the last member set). */
  private value(end: number, field: string): DecodedValue | undefined {
    let v: DecodedValue | undefined
    while (this.pos < end) {
      const tag = this.tag(end, field)
      switch (tag >>> 3) {
        case 1:
          this.expect(tag, 0, `${field}.int_value`)
          v = { _tag: "Int", value: this.int64(end, `${field}.int_value`) }
          break
        case 2:
          this.expect(tag, 1, `${field}.float_value`)
          v = { _tag: "Float", value: this.double(end, `${field}.float_value`) }
          break
        case 3:
          this.expect(tag, 2, `${field}.string_value`)
          v = { _tag: "String", value: this.string(end, `${field}.string_value`) }
          break
        case 4:
          this.expect(tag, 0, `${field}.dict_index`)
          v = { _tag: "DictIndex", id: this.uint64(end, `${field}.dict_index`) }
          break
        default:
          this.skip(tag, end, field)
      }
    }
    return v
  }
}

/** Longest field header: a tag and a length, 10 bytes each at most. */
const maxHeaderBytes = 20

/**
 * Counts the datums of a payload from its framing alone (each top-level field's tag and length), as its chunks
 * arrive and ahead of reading them, so a batch with too many datums is known from its first bytes past the
 * limit. Counting stops at a malformed header (reading the payload reports it).
 */
export class DatumFraming {
  /** `DatumSequence.data` fields whose header has arrived. */
  datums = 0
  /** Bytes of the current field still to come. */
  private skip = 0
  /** The start of a field header cut by a chunk's end. */
  private carry: Buffer = noBytes
  private stopped = false
  /** The last varint `varint` read. */
  private value = 0

  add(chunk: Uint8Array): void {
    if (this.stopped) return
    const bytes = asBuffer(chunk)
    let p = this.skip
    if (this.carry.length > 0) {
      const head = Buffer.concat([this.carry, bytes.subarray(0, maxHeaderBytes)])
      const end = this.field(head, 0)
      if (end === cut) {
        this.carry = head
        return
      }
      p = end - this.carry.length
      this.carry = noBytes
    }
    while (p < bytes.length && !this.stopped) {
      const end = this.field(bytes, p)
      if (end === cut) {
        this.carry = Buffer.from(bytes.subarray(p))
        this.skip = 0
        return
      }
      p = end
    }
    this.skip = p - bytes.length
  }

  /** Where the field at `p` ends (possibly past `buf`), counting it if it is a datum; `cut` if its header is. */
  private field(buf: Buffer, p: number): number {
    const afterTag = this.varint(buf, p)
    if (afterTag === cut) return cut
    if (afterTag === malformed) return this.stop(buf)
    const tag = this.value
    switch (tag % 8) {
      case 0: {
        const end = this.varint(buf, afterTag)
        return end === cut ? cut : end === malformed ? this.stop(buf) : end
      }
      case 1:
        return afterTag + 8
      case 5:
        return afterTag + 4
      case 2: {
        const end = this.varint(buf, afterTag)
        if (end === cut) return cut
        if (end === malformed) return this.stop(buf)
        if (tag === ((1 << 3) | 2)) this.datums++
        return end + this.value
      }
      default:
        return this.stop(buf)
    }
  }

  /**
   * Reads the varint at `from` into `value` (as a double: exact up to 2^53, enough for lengths and tags) and
   * returns where it ends, or `cut`/`malformed`. It allocates nothing: it runs for every datum of every payload,
   * a bomb's millions of them included, ahead of the reading.
   */
  private varint(buf: Buffer, from: number): number {
    let value = 0
    let mul = 1
    for (let p = from; p < from + 10; p++) {
      if (p >= buf.length) return cut
      const b = buf[p]!
      value += (b & 0x7f) * mul
      if (b < 0x80) {
        this.value = value
        return p + 1
      }
      mul *= 128
    }
    return malformed
  }

  private stop(buf: Buffer): number {
    this.stopped = true
    return buf.length
  }
}

const cut = -1
const malformed = -2

/** Parses a whole `DatumSequence` (uncompressed); malformed protobuf is a typed error. */
export const decodeDatumSequence = (bytes: Uint8Array): ReadonlyArray<DecodedDatum> | PayloadError => {
  const reader = new DatumReader(bytes)
  const out: Array<DecodedDatum> = []
  for (;;) {
    const d = reader.next()
    if (d === undefined || d === needInput) return out // a whole payload never needs more input
    if (d instanceof PayloadError) return d
    out.push(d)
  }
}
