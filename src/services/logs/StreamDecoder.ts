/**
 * The receiving side of a stateful stream as a state machine: it applies each batch's datums to the stream's
 * state (dictionary, patterns, expected batch id) and reconstructs the logs exactly as the contract says.
 * No I/O and no clock; one caller owns an instance per stream. After an error the stream must be abandoned:
 * the state may hold part of the failed batch.
 */
import type { Datum, DynamicValue, WireTags } from "./Datum.js"
import type { DecodedDatum } from "./DatumWire.js"
import { StreamProtocolError } from "./errors.js"
import { compilePattern, type CompiledPattern, rebuild } from "./Pattern.js"

/** A log as the sender meant it. */
export interface ReconstructedLog {
  readonly timestamp: number
  readonly message: string
  /** The tags joined with ",", as carried on the wire ("" when none). */
  readonly tags: string
  readonly status: string | undefined
  readonly uuid: string | undefined
}

export interface StreamDecoderStats {
  readonly dictionarySize: number
  readonly patternCount: number
  readonly lastBatchId: number | undefined
}

export class StreamDecoder {
  private readonly dict = new Map<number, string>()
  private readonly patterns = new Map<number, CompiledPattern>()
  private lastBatchId: number | undefined = undefined

  get stats(): StreamDecoderStats {
    return { dictionarySize: this.dict.size, patternCount: this.patterns.size, lastBatchId: this.lastBatchId }
  }

  /**
   * Checks the batch id against the stream's order: an optional snapshot 0 first, then 1, 2, 3 … with no gap.
   * Call before `apply`; the id is consumed only when the batch is accepted.
   */
  checkBatchId(batchId: number): StreamProtocolError | undefined {
    if (batchId === 0) {
      if (this.lastBatchId !== undefined) {
        return err("DuplicateSnapshot", batchId, `batch 0 (snapshot) after batch ${this.lastBatchId}: a snapshot may only open a stream`)
      }
      return undefined
    }
    const expected = (this.lastBatchId ?? 0) + 1
    if (batchId !== expected) {
      return err("BatchIdGap", batchId, `batch id ${batchId} where ${expected} was expected`)
    }
    return undefined
  }

  /** Applies one batch; returns its logs in order, or the first rule it breaks. */
  apply(batchId: number, datums: ReadonlyArray<DecodedDatum>): ReadonlyArray<ReconstructedLog> | StreamProtocolError {
    const idError = this.checkBatchId(batchId)
    if (idError !== undefined) return idError
    const logs: Array<ReconstructedLog> = []
    // Delta state resets at every batch boundary.
    let haveTimestamp = false
    let lastTimestamp = 0
    let lastPattern = 0
    let lastTags = ""
    for (let i = 0; i < datums.length; i++) {
      const d = datums[i]!
      if (batchId === 0 && !isSnapshotDatum(d)) {
        return err("SnapshotNotDefinesOnly", batchId, `snapshot (batch 0) datum ${i} is ${describe(d)}; only defines are allowed`)
      }
      switch (d._tag) {
        case "DictEntryDefine":
          this.dict.set(d.id, d.value)
          break
        case "DictEntryDelete":
          if (!this.dict.delete(d.id)) {
            return err("UnknownDictId", batchId, `datum ${i}: DictEntryDelete of unknown dictionary id ${d.id}`)
          }
          break
        case "PatternDefine": {
          if (d.patternId === 0) {
            return err("InvalidValue", batchId, `datum ${i}: PatternDefine with pattern_id 0 (0 means "the last pattern")`)
          }
          const compiled = compilePattern(d.template, d.paramCount, d.posList)
          if ("reason" in compiled) {
            return err(compiled.reason, batchId, `datum ${i}: PatternDefine ${d.patternId}: ${compiled.message}`)
          }
          this.patterns.set(d.patternId, compiled)
          lastPattern = d.patternId
          break
        }
        case "PatternDelete":
          if (!this.patterns.delete(d.patternId)) {
            return err("UnknownPattern", batchId, `datum ${i}: PatternDelete of unknown pattern id ${d.patternId}`)
          }
          break
        case "DeltaEncodingSync": {
          haveTimestamp = true
          lastTimestamp = d.timestamp
          if (d.patternId !== 0) lastPattern = d.patternId
          if (d.tags !== undefined) {
            const tags = this.renderTags(d.tags, batchId, i)
            if (typeof tags !== "string") return tags
            lastTags = tags
          }
          break
        }
        case "Log": {
          const timestamp = haveTimestamp ? lastTimestamp + d.timestamp : d.timestamp
          haveTimestamp = true
          lastTimestamp = timestamp
          let message: string
          if (d.content._tag === "Raw") {
            message = d.content.raw
          } else {
            const id = d.content.patternId === 0 ? lastPattern : d.content.patternId
            if (id === 0) {
              return err("UnknownPattern", batchId, `datum ${i}: structured log with pattern id 0 and no last pattern in this batch`)
            }
            const pattern = this.patterns.get(id)
            if (pattern === undefined) {
              return err("UnknownPattern", batchId, `datum ${i}: structured log references unknown pattern id ${id}`)
            }
            const values = d.content.values
            if (values.length !== pattern.paramCount) {
              return err(
                "ParamCountMismatch",
                batchId,
                `datum ${i}: structured log has ${values.length} dynamic values; pattern ${id} takes ${pattern.paramCount}`
              )
            }
            const rendered: Array<string> = new Array(values.length)
            for (let k = 0; k < values.length; k++) {
              const r = this.render(values[k]!, batchId, i, "dynamic value")
              if (typeof r !== "string") return r
              rendered[k] = r
            }
            message = rebuild(pattern, rendered)
            lastPattern = id
          }
          if (d.tags !== undefined) {
            const tags = this.renderTags(d.tags, batchId, i)
            if (typeof tags !== "string") return tags
            lastTags = tags
          }
          let status: string | undefined
          if (d.status !== undefined) {
            const s = this.render(d.status, batchId, i, "status")
            if (typeof s !== "string") return s
            status = s
          }
          logs.push({ timestamp, message, tags: lastTags, status, uuid: d.uuid })
          break
        }
        case "Empty":
          return err("InvalidValue", batchId, `datum ${i} carries no data`)
        case "ContentlessLog":
          return err("MissingContent", batchId, `datum ${i}: log has neither raw nor structured content`)
      }
    }
    this.lastBatchId = batchId
    return logs
  }

  private renderTags(tags: NonNullable<WireTags> | null, batchId: number, index: number): string | StreamProtocolError {
    return tags === null ? "" : this.render(tags, batchId, index, "tags")
  }

  private render(v: DynamicValue, batchId: number, index: number, what: string): string | StreamProtocolError {
    switch (v._tag) {
      case "String":
        return v.value
      case "Int":
        return String(v.value)
      case "Float":
        return renderFloat(v.value)
      case "DictIndex": {
        const s = this.dict.get(v.id)
        return s !== undefined ? s : err("UnknownDictId", batchId, `datum ${index}: ${what} references unknown dictionary id ${v.id}`)
      }
    }
  }
}

/** Shortest decimal that reads back as the same double (JavaScript's number-to-string). */
export const renderFloat = (value: number): string => String(value)

const isSnapshotDatum = (d: DecodedDatum): boolean => d._tag === "DictEntryDefine" || d._tag === "PatternDefine"

const describe = (d: DecodedDatum): string => (d._tag === "ContentlessLog" ? "Log" : (d as Datum | { _tag: string })._tag)

const err = (reason: StreamProtocolError["reason"], batchId: number, message: string) =>
  new StreamProtocolError({ reason, batchId, message: `batch ${batchId}: ${message}` })
