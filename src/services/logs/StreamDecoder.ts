/**
 * The receiving side of a stateful stream as a state machine: it applies each batch's datums to the stream's
 * state (dictionary, patterns, expected batch id) and reconstructs the logs exactly as the contract says.
 * No I/O and no clock; one caller owns an instance per stream. After an error the stream must be abandoned:
 * the state may hold part of the failed batch.
 */
import type { DecodedDatum, DecodedTags, DecodedValue, WireInt } from "./DecodedDatum.js"
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
  /** Size of the dictionary strings and pattern templates held (UTF-16 units plus a per-entry overhead). */
  readonly stateBytes: number
}

/** What one batch, and one stream's state, may cost the intake. */
export interface DecodeLimits {
  /** Datums in one batch. */
  readonly maxBatchDatums: number
  /**
   * Reconstructed size of one batch: message, tags, status and uuid lengths (UTF-16 units) plus
   * `recordOverhead` per log, so empty logs count too.
   */
  readonly maxBatchLogBytes: number
  /** Dictionary strings and pattern templates one stream may hold (same counting, `entryOverhead` each). */
  readonly maxStateBytes: number
}

export const defaultDecodeLimits: DecodeLimits = {
  maxBatchDatums: 50_000,
  maxBatchLogBytes: 16 * 1024 * 1024,
  maxStateBytes: 32 * 1024 * 1024
}

/** Counted per reconstructed log: roughly its JSON line without the strings. */
export const recordOverhead = 64
/** Counted per dictionary entry or pattern held. */
const entryOverhead = 32

/** Timestamps are milliseconds carried as JSON numbers: only the range a double holds exactly is usable. */
const exactTimestamp = (t: WireInt): number | undefined =>
  typeof t === "number" && Number.isSafeInteger(t) ? t : undefined

/** Dictionary and patterns of one stream, with the size they hold. */
class StreamState {
  readonly dict = new Map<WireInt, string>()
  readonly patterns = new Map<WireInt, CompiledPattern>()
  bytes = 0

  define(id: WireInt, value: string): void {
    const old = this.dict.get(id)
    if (old !== undefined) this.bytes -= old.length + entryOverhead
    this.dict.set(id, value)
    this.bytes += value.length + entryOverhead
  }
  undefine(id: WireInt): boolean {
    const old = this.dict.get(id)
    if (old === undefined) return false
    this.dict.delete(id)
    this.bytes -= old.length + entryOverhead
    return true
  }
  definePattern(id: WireInt, pattern: CompiledPattern): void {
    const old = this.patterns.get(id)
    if (old !== undefined) this.bytes -= 2 * old.template.length + entryOverhead
    this.patterns.set(id, pattern)
    this.bytes += 2 * pattern.template.length + entryOverhead // the template and its segments
  }
  undefinePattern(id: WireInt): boolean {
    const old = this.patterns.get(id)
    if (old === undefined) return false
    this.patterns.delete(id)
    this.bytes -= 2 * old.template.length + entryOverhead
    return true
  }
}

export class StreamDecoder {
  private readonly state = new StreamState()
  private lastBatchId: number | undefined = undefined

  constructor(readonly limits: DecodeLimits = defaultDecodeLimits) {}

  get stats(): StreamDecoderStats {
    return {
      dictionarySize: this.state.dict.size,
      patternCount: this.state.patterns.size,
      lastBatchId: this.lastBatchId,
      stateBytes: this.state.bytes
    }
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

  /** Starts a batch whose datums are then applied one at a time (so a caller can pause between them). */
  begin(batchId: number): BatchApplier | StreamProtocolError {
    return this.checkBatchId(batchId) ??
      new BatchApplier(this.state, this.limits, batchId, () => {
        this.lastBatchId = batchId
      })
  }

  /** Applies one whole batch; returns its logs in order, or the first rule it breaks. */
  apply(batchId: number, datums: ReadonlyArray<DecodedDatum>): ReadonlyArray<ReconstructedLog> | StreamProtocolError {
    const applier = this.begin(batchId)
    if (applier instanceof StreamProtocolError) return applier
    for (const d of datums) {
      const e = applier.push(d)
      if (e !== undefined) return e
    }
    return applier.finish()
  }
}

/**
 * Applies one batch's datums in order to its decoder, reconstructing logs, within the decoder's limits.
 * Delta state (timestamp, last pattern, tags) lives here: it resets at every batch boundary.
 */
export class BatchApplier {
  private readonly logs: Array<ReconstructedLog> = []
  private index = 0
  private logBytes = 0
  private haveTimestamp = false
  private lastTimestamp = 0
  private lastPattern: WireInt = 0
  private lastTags = ""

  constructor(
    private readonly state: StreamState,
    private readonly limits: DecodeLimits,
    readonly batchId: number,
    private readonly accepted: () => void
  ) {}

  /** Datums applied so far. */
  get datums(): number {
    return this.index
  }

  /** Reconstructed size so far (see `DecodeLimits.maxBatchLogBytes`). */
  get reconstructedBytes(): number {
    return this.logBytes
  }

  /** Applies the next datum; returns the first rule it breaks, if any. */
  push(d: DecodedDatum): StreamProtocolError | undefined {
    const i = this.index++
    const batchId = this.batchId
    const dec = this.state
    const limits = this.limits
    if (i >= limits.maxBatchDatums) {
      return tooManyDatums(batchId, limits.maxBatchDatums)
    }
    if (batchId === 0 && d._tag !== "DictEntryDefine" && d._tag !== "PatternDefine") {
      return err("SnapshotNotDefinesOnly", batchId, `snapshot (batch 0) datum ${i} is ${d._tag === "ContentlessLog" ? "Log" : d._tag}; only defines are allowed`)
    }
    switch (d._tag) {
      case "DictEntryDefine":
        dec.define(d.id, d.value)
        return this.checkState(i)
      case "DictEntryDelete":
        return dec.undefine(d.id) ? undefined : err("UnknownDictId", batchId, `datum ${i}: DictEntryDelete of unknown dictionary id ${d.id}`)
      case "PatternDefine": {
        if (d.patternId === 0) {
          return err("InvalidValue", batchId, `datum ${i}: PatternDefine with pattern_id 0 (0 means "the last pattern")`)
        }
        const compiled = compilePattern(d.template, d.paramCount, d.posList)
        if ("reason" in compiled) {
          return err(compiled.reason, batchId, `datum ${i}: PatternDefine ${d.patternId}: ${compiled.message}`)
        }
        dec.definePattern(d.patternId, compiled)
        this.lastPattern = d.patternId
        return this.checkState(i)
      }
      case "PatternDelete":
        return dec.undefinePattern(d.patternId)
          ? undefined
          : err("UnknownPattern", batchId, `datum ${i}: PatternDelete of unknown pattern id ${d.patternId}`)
      case "DeltaEncodingSync": {
        const ts = exactTimestamp(d.timestamp)
        if (ts === undefined) return inexact(batchId, i, "DeltaEncodingSync.timestamp", d.timestamp)
        this.haveTimestamp = true
        this.lastTimestamp = ts
        if (d.patternId !== 0) this.lastPattern = d.patternId
        if (d.tags !== undefined) {
          const tags = this.renderTags(d.tags, i)
          if (typeof tags !== "string") return tags
          this.lastTags = tags
        }
        return undefined
      }
      case "Log":
        return this.log(d, i)
      case "Empty":
        return err("InvalidValue", batchId, `datum ${i} carries no data`)
      case "ContentlessLog":
        return err("MissingContent", batchId, `datum ${i}: log has neither raw nor structured content`)
    }
  }

  /** Ends the batch: the stream's id advances and its logs are returned in order. */
  finish(): ReadonlyArray<ReconstructedLog> {
    this.accepted()
    return this.logs
  }

  private log(d: Extract<DecodedDatum, { _tag: "Log" }>, i: number): StreamProtocolError | undefined {
    const batchId = this.batchId
    const delta = exactTimestamp(d.timestamp)
    if (delta === undefined) return inexact(batchId, i, "Log.timestamp", d.timestamp)
    const timestamp = this.haveTimestamp ? this.lastTimestamp + delta : delta
    if (!Number.isSafeInteger(timestamp)) return inexact(batchId, i, "Log.timestamp (after the delta)", BigInt(this.lastTimestamp) + BigInt(delta))
    this.haveTimestamp = true
    this.lastTimestamp = timestamp
    let message: string
    if (d.content._tag === "Raw") {
      message = d.content.raw
    } else {
      const id = d.content.patternId === 0 ? this.lastPattern : d.content.patternId
      if (id === 0) {
        return err("UnknownPattern", batchId, `datum ${i}: structured log with pattern id 0 and no last pattern in this batch`)
      }
      const pattern = this.state.patterns.get(id)
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
        const r = this.render(values[k]!, i, "dynamic value")
        if (typeof r !== "string") return r
        rendered[k] = r
      }
      message = rebuild(pattern, rendered)
      this.lastPattern = id
    }
    if (d.tags !== undefined) {
      const tags = this.renderTags(d.tags, i)
      if (typeof tags !== "string") return tags
      this.lastTags = tags
    }
    let status: string | undefined
    if (d.status !== undefined) {
      const s = this.render(d.status, i, "status")
      if (typeof s !== "string") return s
      status = s
    }
    this.logBytes += message.length + this.lastTags.length + (status?.length ?? 0) + (d.uuid?.length ?? 0) + recordOverhead
    const max = this.limits.maxBatchLogBytes
    if (this.logBytes > max) {
      return err("LimitExceeded", batchId, `datum ${i}: reconstructed logs exceed ${max} bytes (the intake's max-batch-log-bytes limit)`)
    }
    this.logs.push({ timestamp, message, tags: this.lastTags, status, uuid: d.uuid })
    return undefined
  }

  private checkState(i: number): StreamProtocolError | undefined {
    const max = this.limits.maxStateBytes
    return this.state.bytes > max
      ? err("LimitExceeded", this.batchId, `datum ${i}: dictionary and patterns exceed ${max} bytes (the intake's max-state-bytes limit)`)
      : undefined
  }

  private renderTags(tags: NonNullable<DecodedTags> | null, index: number): string | StreamProtocolError {
    return tags === null ? "" : this.render(tags, index, "tags")
  }

  private render(v: DecodedValue, index: number, what: string): string | StreamProtocolError {
    switch (v._tag) {
      case "String":
        return v.value
      case "Int":
        return String(v.value) // exact for bigint too
      case "Float":
        return renderFloat(v.value)
      case "DictIndex": {
        const s = this.state.dict.get(v.id)
        return s !== undefined ? s : err("UnknownDictId", this.batchId, `datum ${index}: ${what} references unknown dictionary id ${v.id}`)
      }
    }
  }
}

/** Shortest decimal that reads back as the same double (JavaScript's number-to-string). */
export const renderFloat = (value: number): string => String(value)

const inexact = (batchId: number, index: number, field: string, value: WireInt) =>
  err("InvalidValue", batchId, `datum ${index}: ${field} ${value} is outside the exact range of ±(2^53 − 1) ms`)

/** The rejection of a batch with more than `max` datums. */
export const tooManyDatums = (batchId: number, max: number) =>
  err("LimitExceeded", batchId, `more than ${max} datums (the intake's max-batch-datums limit)`)

const err = (reason: StreamProtocolError["reason"], batchId: number, message: string) =>
  new StreamProtocolError({ reason, batchId, message: `batch ${batchId}: ${message}` })
