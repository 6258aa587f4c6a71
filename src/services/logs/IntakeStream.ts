/**
 * The reference intake's decision for each batch of one stream, as a pure step: decompress, read and apply the
 * datums to the stream state — a slice at a time, so the driver can yield between slices — and decide (with
 * the fault options) whether to acknowledge and whether to reset the stream after. The server driver performs
 * the writes, acks and status the decision names.
 */
import { decompress } from "./ContentEncoding.js"
import type { ContentEncoding } from "./ContentEncoding.js"
import { DatumReader } from "./DatumReader.js"
import { PayloadError, StreamProtocolError } from "./errors.js"
import type { IntakeFaults } from "./IntakeOptions.js"
import type { IntakeBatch } from "./IntakeRecord.js"
import { type BatchApplier, type DecodeLimits, StreamDecoder } from "./StreamDecoder.js"

export type BatchDecision =
  | {
    readonly _tag: "Accept"
    readonly batch: IntakeBatch
    /** What the batch's logs hold until written (see `DecodeLimits.maxBatchLogBytes`). */
    readonly bytes: number
    /** Send `BatchStatus{batchId, OK}`. */
    readonly ack: boolean
    /** After this batch's ack, end the stream with UNAVAILABLE (fault injection). */
    readonly reset: boolean
  }
  | { readonly _tag: "Reject"; readonly error: PayloadError | StreamProtocolError }

export interface IntakeLimits extends DecodeLimits {
  /** Limit on a decompressed batch payload. */
  readonly maxPayloadBytes: number
}

/** Fault budget shared by all streams of one intake (resets and rejections are counted across streams). */
export class FaultBudget {
  private resetsLeft: number
  private rejectsLeft: number
  constructor(readonly faults: IntakeFaults) {
    this.resetsLeft = faults.resetAfterBatches !== undefined ? (faults.resets ?? 1) : 0
    this.rejectsLeft = faults.rejectStatus !== undefined ? (faults.rejectCount ?? 1) : 0
  }
  /** The status to reject a new stream with, if any rejections are left. */
  takeRejection(): number | undefined {
    if (this.rejectsLeft <= 0 || this.faults.rejectStatus === undefined) return undefined
    this.rejectsLeft--
    return this.faults.rejectStatus
  }
  takeReset(): boolean {
    if (this.resetsLeft <= 0) return false
    this.resetsLeft--
    return true
  }
}

export class IntakeStream {
  private readonly decoder: StreamDecoder
  private dataBatches = 0
  private acks = 0

  constructor(
    readonly streamId: number,
    readonly encoding: ContentEncoding,
    private readonly limits: IntakeLimits,
    private readonly budget: FaultBudget
  ) {
    this.decoder = new StreamDecoder(limits)
  }

  get decoderStats() {
    return this.decoder.stats
  }

  /** The most a batch of `compressedBytes` can take once decompressed. */
  payloadReservation(compressedBytes: number): number {
    return this.encoding === "identity" ? compressedBytes : this.limits.maxPayloadBytes
  }

  /** Checks a batch's id before paying for its decompression; the rejection, if any. */
  checkBatchId(batchId: number): BatchDecision | undefined {
    const e = this.decoder.checkBatchId(batchId)
    return e === undefined ? undefined : { _tag: "Reject", error: e }
  }

  /** Starts reading a batch from its decompressed payload (or the decompression's error). */
  read(batchId: number, payload: Uint8Array | PayloadError): BatchWork | BatchDecision {
    if (payload instanceof PayloadError) {
      return {
        _tag: "Reject",
        error: new PayloadError({ reason: payload.reason, message: `batch ${batchId}: ${payload.message}`, cause: payload.cause })
      }
    }
    const applier = this.decoder.begin(batchId)
    if (applier instanceof StreamProtocolError) return { _tag: "Reject", error: applier }
    return new BatchWork(new DatumReader(payload), applier, (done) => this.decide(done))
  }

  /** Decodes one whole batch (benchmarks and tests; the server decompresses off-thread and reads in slices). */
  onBatch(batchId: number, data: Uint8Array): BatchDecision {
    const work = this.checkBatchId(batchId) ?? this.read(batchId, decompress(data, this.encoding, this.limits.maxPayloadBytes))
    if (!(work instanceof BatchWork)) return work
    for (;;) {
      const d = work.step(Number.MAX_SAFE_INTEGER)
      if (d !== undefined) return d
    }
  }

  /** The decision for a batch whose datums were all applied. */
  private decide(applier: BatchApplier): BatchDecision {
    const batchId = applier.batchId
    const bytes = applier.reconstructedBytes
    const batch: IntakeBatch = { stream: this.streamId, batch: batchId, logs: applier.finish() }
    const faults = this.budget.faults
    const ack = faults.withholdAcksAfter === undefined || this.acks < faults.withholdAcksAfter
    if (ack) this.acks++
    let reset = false
    if (batchId > 0) {
      this.dataBatches++
      const after = faults.resetAfterBatches
      if (after !== undefined && this.dataBatches >= after) reset = this.budget.takeReset()
    }
    return { _tag: "Accept", batch, bytes, ack, reset }
  }
}

/** One batch being read: `step` applies the next datums; the stream must not start another batch meanwhile. */
export class BatchWork {
  constructor(
    private readonly reader: DatumReader,
    private readonly applier: BatchApplier,
    private readonly decide: (applier: BatchApplier) => BatchDecision
  ) {}

  /** Size of the decompressed payload. */
  get payloadBytes(): number {
    return this.reader.byteLength
  }

  /** What the logs rebuilt so far hold (see `DecodeLimits.maxBatchLogBytes`). */
  get logBytes(): number {
    return this.applier.reconstructedBytes
  }

  /** Applies up to `n` datums; returns the decision once the batch is read or broken, `undefined` before. */
  step(n: number): BatchDecision | undefined {
    for (let i = 0; i < n; i++) {
      const d = this.reader.next()
      if (d === undefined) return this.decide(this.applier)
      if (d instanceof PayloadError) {
        return {
          _tag: "Reject",
          error: new PayloadError({ reason: d.reason, message: `batch ${this.applier.batchId}: ${d.message}`, cause: d.cause })
        }
      }
      const e = this.applier.push(d)
      if (e !== undefined) return { _tag: "Reject", error: e }
    }
    return undefined
  }
}
