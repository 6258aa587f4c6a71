/**
 * Accumulates translated logs into batches and seals them into payloads: seal on reaching `maxEntries` logs, before a
 * log whose content would push the batch over `maxContentBytes`, or when the caller's max-wait timer fires.
 * Delta encoding restarts at every batch. A log over the content limit is rejected, but the definitions its
 * translation produced stay in the batch, so the server never sees a reference it was not given.
 * Pure and synchronous: the driver fiber calls it in plain loops.
 */
import { type ContentEncoding } from "./ContentEncoding.js"
import { encodeBatchData } from "./BatchCodec.js"
import type { Datum } from "./Datum.js"
import { DeltaEncoder } from "./DeltaEncoder.js"
import type { LogMessage, SourcePosition } from "./LogMessage.js"
import type { Payload } from "./Payload.js"
import { LogRejected } from "./errors.js"
import type { Translator } from "./Translator.js"

export interface BatcherConfig {
  readonly maxEntries: number
  readonly maxContentBytes: number
  readonly encoding: ContentEncoding
  readonly compressionLevel: number
}

export const defaultBatcherConfig: BatcherConfig = {
  maxEntries: 1000,
  maxContentBytes: 5_000_000,
  encoding: "zstd",
  compressionLevel: 1
}

export class Batcher {
  private datums: Array<Datum> = []
  private stateChanges: Array<Datum> = []
  private logs = 0
  private contentBytes = 0
  private seq = 1
  private readonly delta = new DeltaEncoder()
  private readonly scratch: Array<Datum> = []
  private readonly sealed: Array<Payload> = []
  private positions: Array<SourcePosition> = []
  /** Positions with nothing left to acknowledge (every log of their chunk rejected, nothing pending before). */
  private readonly settledNow: Array<SourcePosition> = []

  constructor(readonly config: BatcherConfig, private readonly translator: Translator) {}

  /** Logs in the open batch. */
  get pendingLogs(): number {
    return this.logs
  }

  /** True when the open batch holds anything (logs or state datums). */
  get isEmpty(): boolean {
    return this.datums.length === 0
  }

  /** Adds one log; sealed payloads accumulate for `takeSealed`. */
  add(msg: LogMessage): LogRejected | undefined {
    const size = Buffer.byteLength(msg.content)
    // Seal first, so the definitions this log triggers land in the same batch as the log.
    if (this.logs > 0 && this.contentBytes + size > this.config.maxContentBytes) {
      this.flush()
    }
    this.takeDeletes()
    const defines = this.scratch
    defines.length = 0
    const record = this.translator.translate(msg, defines)
    for (let i = 0; i < defines.length; i++) this.pushState(defines[i]!)
    if (record instanceof LogRejected) return record
    if (size > this.config.maxContentBytes) {
      return new LogRejected({
        reason: "TooLarge",
        message: `log of ${size} bytes exceeds the ${this.config.maxContentBytes}-byte batch content limit`
      })
    }
    this.datums.push(this.delta.encode(record))
    this.logs++
    this.contentBytes += size
    if (this.logs >= this.config.maxEntries) this.flush()
    return undefined
  }

  /**
   * Marks the end of a chunk of logs just added: `position` is settled once everything added so far is. It
   * rides with the open batch, else with the last batch sealed and not yet taken; with neither (every log of
   * the chunk was rejected and nothing waits), it is settled at once (`takeSettled`).
   */
  markPosition(position: SourcePosition): void {
    if (this.datums.length > 0) this.positions.push(position)
    else if (this.sealed.length > 0) this.sealed[this.sealed.length - 1]!.positions.push(position)
    else this.settledNow.push(position)
  }

  /** Positions settled without a batch to wait for, since the last call. */
  takeSettled(): ReadonlyArray<SourcePosition> {
    if (this.settledNow.length === 0) return noPositions
    return this.settledNow.splice(0, this.settledNow.length)
  }

  /** Seals the open batch if it holds anything. */
  flush(): void {
    this.takeDeletes()
    if (this.datums.length === 0) {
      // Only possible when nothing was added since the last seal: positions never wait on an empty batch.
      return
    }
    const encoded = encodeBatchData(this.datums, this.config.encoding, this.config.compressionLevel)
    this.sealed.push({
      seq: this.seq++,
      data: encoded.data,
      uncompressedBytes: encoded.uncompressedBytes,
      logCount: this.logs,
      stateChanges: this.stateChanges,
      stateRefs: this.translator.sealBatch(),
      positions: this.positions
    })
    this.positions = []
    this.datums = []
    this.stateChanges = []
    this.logs = 0
    this.contentBytes = 0
    this.delta.reset()
  }

  /** Payloads sealed since the last call, in order. */
  takeSealed(): ReadonlyArray<Payload> {
    if (this.sealed.length === 0) return noPayloads
    return this.sealed.splice(0, this.sealed.length)
  }

  private takeDeletes(): void {
    if (!this.translator.hasDeletes) return
    const deletes = this.scratch
    deletes.length = 0
    this.translator.takeDeletes(deletes)
    for (let i = 0; i < deletes.length; i++) this.pushState(deletes[i]!)
  }

  private pushState(d: Datum): void {
    this.datums.push(d)
    this.stateChanges.push(d)
    this.contentBytes += d._tag === "DictEntryDefine" ? d.value.length : 0
    if (d._tag === "PatternDefine") this.delta.patternDefined(d.patternId)
  }
}

const noPayloads: ReadonlyArray<Payload> = []
const noPositions: ReadonlyArray<SourcePosition> = []
