/**
 * What the reference intake writes for each reconstructed log: one JSON line per log, and the batch that
 * carries a stream's logs to an `IntakeOutput`.
 */
import { Schema } from "effect"
import type { ReconstructedLog } from "./StreamDecoder.js"

export const IntakeRecord = Schema.Struct({
  timestamp: Schema.Number,
  message: Schema.String,
  /** The wire's joined tag string split on ","; empty when the log had no tags. */
  tags: Schema.Array(Schema.String),
  status: Schema.NullOr(Schema.String),
  uuid: Schema.optional(Schema.String),
  /** Intake-assigned stream number, from 1 in the order streams were accepted. */
  stream: Schema.Number,
  batch: Schema.Number
})
export type IntakeRecord = typeof IntakeRecord.Type

/** One accepted batch's logs, in order. */
export interface IntakeBatch {
  readonly stream: number
  readonly batch: number
  readonly logs: ReadonlyArray<ReconstructedLog>
}

export const toIntakeRecord = (log: ReconstructedLog, stream: number, batch: number): IntakeRecord => {
  const record: { -readonly [K in keyof IntakeRecord]: IntakeRecord[K] } = {
    timestamp: log.timestamp,
    message: log.message,
    tags: log.tags === "" ? [] : log.tags.split(","),
    status: log.status ?? null,
    stream,
    batch
  }
  if (log.uuid !== undefined) record.uuid = log.uuid
  return record
}

export const toIntakeRecords = (b: IntakeBatch): Array<IntakeRecord> =>
  b.logs.map((log) => toIntakeRecord(log, b.stream, b.batch))

/**
 * Output chunks of one size, reused: encoding a batch then allocates nothing, where a fresh chunk per batch is
 * external memory that drives V8 into full collections. At most `keep` free chunks are kept.
 */
export class ChunkPool {
  private readonly free: Array<Buffer> = []
  constructor(readonly chunkBytes = 256 * 1024, private readonly keep = 8) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.chunkBytes)
  }

  /** Gives back the chunks `views` (from `JsonLinesEncoder.take`) were cut from, once nothing reads them. */
  give(views: ReadonlyArray<Buffer>): void {
    for (const v of views) {
      if (this.free.length >= this.keep) return
      if (v.byteOffset === 0 && v.buffer.byteLength === this.chunkBytes) this.free.push(Buffer.from(v.buffer, 0, this.chunkBytes))
    }
  }
}

/** Lines joined into one string before it is written into a chunk: one native UTF-8 write per group, not per line. */
const groupLines = 64
const groupChars = 16 * 1024

/**
 * Appends JSON lines straight into buffer chunks (no batch-sized string to join and copy); a full chunk is
 * handed out as a view. Lines are written a group at a time.
 */
export class JsonLinesEncoder {
  private readonly chunks: Array<Buffer> = []
  private chunk: Buffer = Buffer.alloc(0)
  private offset = 0
  private group = ""
  private groupSize = 0
  // Batches repeat a handful of tag strings and statuses: render each once.
  private lastTags = ""
  private lastTagsJson = "[]"
  private lastStatus: string | undefined = undefined
  private lastStatusJson = "null"

  /** Chunks come from `pool` (a private one when none is given). */
  constructor(private readonly pool: ChunkPool = new ChunkPool(64 * 1024, 0)) {}

  /**
   * Encodes logs [from, to) of a batch. Keys are in `IntakeRecord`'s order (uuid, when set, last), the same
   * bytes `JSON.stringify(toIntakeRecord(…))` gives.
   */
  encode(b: IntakeBatch, from = 0, to = b.logs.length): void {
    const tail = `,"stream":${b.stream},"batch":${b.batch}`
    for (let i = from; i < to; i++) {
      const log = b.logs[i]!
      if (log.tags !== this.lastTags) {
        this.lastTags = log.tags
        this.lastTagsJson = log.tags === "" ? "[]" : JSON.stringify(log.tags.split(","))
      }
      if (log.status !== this.lastStatus) {
        this.lastStatus = log.status
        this.lastStatusJson = log.status === undefined ? "null" : JSON.stringify(log.status)
      }
      this.group += `{"timestamp":${log.timestamp},"message":${JSON.stringify(log.message)},"tags":${this.lastTagsJson},"status":${this.lastStatusJson}${tail}${
        log.uuid === undefined ? "" : `,"uuid":${JSON.stringify(log.uuid)}`
      }}\n`
      if (++this.groupSize === groupLines || this.group.length > groupChars) this.writeGroup()
    }
  }

  /** The encoded bytes so far, as chunk views; the encoder is reset. */
  take(): Array<Buffer> {
    this.writeGroup()
    if (this.offset > 0) this.chunks.push(this.chunk.subarray(0, this.offset))
    this.chunk = Buffer.alloc(0)
    this.offset = 0
    return this.chunks.splice(0)
  }

  private writeGroup(): void {
    const text = this.group
    if (text === "") return
    this.group = ""
    this.groupSize = 0
    // A UTF-16 unit is at most 3 UTF-8 bytes: when the text may not fit, close the chunk first.
    if (this.offset + text.length * 3 > this.chunk.length) {
      if (this.offset > 0) this.chunks.push(this.chunk.subarray(0, this.offset))
      this.chunk = text.length * 3 > this.pool.chunkBytes ? Buffer.allocUnsafe(text.length * 3) : this.pool.take()
      this.offset = 0
    }
    this.offset += this.chunk.write(text, this.offset, "utf8")
  }
}

/** One JSON line per log of the batch, as buffers. */
export const toJsonLines = (b: IntakeBatch): Array<Buffer> => {
  const e = new JsonLinesEncoder()
  e.encode(b)
  return e.take()
}
