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
 * Appends JSON lines straight into buffer chunks (no batch-sized string to join and copy); a full chunk is
 * handed out as a view.
 */
export class JsonLinesEncoder {
  private readonly chunks: Array<Buffer> = []
  private chunk: Buffer = Buffer.alloc(0)
  private offset = 0
  private readonly chunkBytes: number
  // Batches repeat a handful of tag strings and statuses: render each once.
  private lastTags = ""
  private lastTagsJson = "[]"
  private lastStatus: string | undefined = undefined
  private lastStatusJson = "null"

  /** `sizeHint`: the expected output size, so a small batch gets a small chunk. */
  constructor(sizeHint = 256 * 1024) {
    this.chunkBytes = Math.min(1024 * 1024, Math.max(4096, Math.ceil(sizeHint * 1.25)))
  }

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
      const line = `{"timestamp":${log.timestamp},"message":${JSON.stringify(log.message)},"tags":${this.lastTagsJson},"status":${this.lastStatusJson}${tail}${
        log.uuid === undefined ? "" : `,"uuid":${JSON.stringify(log.uuid)}`
      }}\n`
      this.write(line)
    }
  }

  /** The encoded bytes so far, as chunk views; the encoder is reset. */
  take(): Array<Buffer> {
    if (this.offset > 0) this.chunks.push(this.chunk.subarray(0, this.offset))
    this.chunk = Buffer.alloc(0)
    this.offset = 0
    return this.chunks.splice(0)
  }

  private write(line: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes: when the line may not fit, close the chunk first.
    if (this.offset + line.length * 3 > this.chunk.length) {
      if (this.offset > 0) this.chunks.push(this.chunk.subarray(0, this.offset))
      this.chunk = Buffer.allocUnsafe(Math.max(this.chunkBytes, line.length * 3))
      this.offset = 0
    }
    this.offset += this.chunk.write(line, this.offset, "utf8")
  }
}

/** One JSON line per log of the batch, as buffers. */
export const toJsonLines = (b: IntakeBatch): Array<Buffer> => {
  const e = new JsonLinesEncoder()
  e.encode(b)
  return e.take()
}
