/**
 * What the reference intake writes for each reconstructed log: one JSON line per log.
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

/** One JSON line per record, newline-terminated, keys in the documented order. */
export const toJsonLines = (records: ReadonlyArray<IntakeRecord>): string => {
  let out = ""
  for (const r of records) out += JSON.stringify(r) + "\n"
  return out
}
