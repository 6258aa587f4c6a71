/**
 * The reference intake's decision for each batch of one stream, as a pure step: decode, apply to the stream
 * state, and decide (with the fault options) whether to acknowledge and whether to reset the stream after.
 * The server driver performs the writes, acks and status the decision names.
 */
import { decodeBatchData } from "./BatchCodec.js"
import type { ContentEncoding } from "./ContentEncoding.js"
import { PayloadError, type StreamProtocolError } from "./errors.js"
import type { IntakeFaults } from "./IntakeOptions.js"
import { type IntakeRecord, toIntakeRecord } from "./IntakeRecord.js"
import { StreamDecoder } from "./StreamDecoder.js"

export type BatchDecision =
  | {
    readonly _tag: "Accept"
    readonly records: ReadonlyArray<IntakeRecord>
    /** Send `BatchStatus{batchId, OK}`. */
    readonly ack: boolean
    /** After this batch's ack, end the stream with UNAVAILABLE (fault injection). */
    readonly reset: boolean
  }
  | { readonly _tag: "Reject"; readonly error: PayloadError | StreamProtocolError }

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
  private readonly decoder = new StreamDecoder()
  private dataBatches = 0
  private acks = 0

  constructor(
    readonly streamId: number,
    readonly encoding: ContentEncoding,
    private readonly maxPayloadBytes: number,
    private readonly budget: FaultBudget
  ) {}

  get decoderStats() {
    return this.decoder.stats
  }

  onBatch(batchId: number, data: Uint8Array): BatchDecision {
    // Reject a bad id before paying for decompression.
    const idError = this.decoder.checkBatchId(batchId)
    if (idError !== undefined) return { _tag: "Reject", error: idError }
    const datums = decodeBatchData(data, this.encoding, this.maxPayloadBytes)
    if (datums instanceof PayloadError) {
      return {
        _tag: "Reject",
        error: new PayloadError({ reason: datums.reason, message: `batch ${batchId}: ${datums.message}`, cause: datums.cause })
      }
    }
    const logs = this.decoder.apply(batchId, datums)
    if (!Array.isArray(logs)) return { _tag: "Reject", error: logs as StreamProtocolError }
    const records: Array<IntakeRecord> = new Array(logs.length)
    for (let i = 0; i < logs.length; i++) records[i] = toIntakeRecord(logs[i]!, this.streamId, batchId)
    const faults = this.budget.faults
    const ack = faults.withholdAcksAfter === undefined || this.acks < faults.withholdAcksAfter
    if (ack) this.acks++
    let reset = false
    if (batchId > 0) {
      this.dataBatches++
      const after = faults.resetAfterBatches
      if (after !== undefined && this.dataBatches >= after) reset = this.budget.takeReset()
    }
    return { _tag: "Accept", records, ack, reset }
  }
}
