/**
 * The sending side of the contract's per-batch delta rules, mirror of `StreamDecoder`: the first log of a
 * batch carries an absolute timestamp, later ones the signed difference; a structured log whose pattern is
 * the batch's last pattern carries 0; a log whose tags equal the previous log's carries no TagSet.
 * `reset()` at every batch boundary.
 */
import type { DynamicValue, LogContent, LogDatum } from "./Datum.js"

/** A log with absolute values, before delta encoding. */
export interface LogRecord {
  readonly timestamp: number
  readonly content: LogContent
  /** The joined tag string or its dictionary reference; `null` for no tags. */
  readonly tags: DynamicValue | null
  readonly uuid?: string | undefined
  readonly status?: DynamicValue | undefined
}

const tagsKey = (t: DynamicValue | null): string => {
  if (t === null) return ""
  switch (t._tag) {
    case "DictIndex":
      return `d${t.id}`
    case "String":
      return t.value === "" ? "" : `s${t.value}`
    case "Int":
      return `i${t.value}`
    case "Float":
      return `f${t.value}`
  }
}

export class DeltaEncoder {
  private first = true
  private lastTimestamp = 0
  private lastPattern = 0
  // The decoder starts each batch with no tags, so "" (no tags) needs no TagSet on the first log.
  private lastTags = ""

  /** Starts a new batch. */
  reset(): void {
    this.first = true
    this.lastTimestamp = 0
    this.lastPattern = 0
    this.lastTags = ""
  }

  /** A PatternDefine passing through the batch becomes its last pattern. */
  patternDefined(patternId: number): void {
    this.lastPattern = patternId
  }

  encode(log: LogRecord): LogDatum {
    const timestamp = this.first ? log.timestamp : log.timestamp - this.lastTimestamp
    this.first = false
    this.lastTimestamp = log.timestamp
    let content = log.content
    if (content._tag === "Structured") {
      const id = content.patternId
      if (id === this.lastPattern) content = { _tag: "Structured", patternId: 0, values: content.values }
      this.lastPattern = id
    }
    const key = tagsKey(log.tags)
    const tags = key === this.lastTags ? undefined : log.tags
    this.lastTags = key
    return { _tag: "Log", timestamp, content, tags, uuid: log.uuid, status: log.status }
  }
}
