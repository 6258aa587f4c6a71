/**
 * The reference intake's decision for each batch of one stream, as a pure step: read the datums as the payload
 * is decompressed and apply them to the stream state — a slice at a time, so the driver can yield between
 * slices, and stopping at the first limit crossed, before the rest is inflated — and decide (with the fault
 * options) whether to acknowledge and whether to reset the stream after. The server driver inflates the
 * payload and performs the writes, acks and status the decision names.
 */
import { decompress, inflateChunkBytes, oversizedPayload } from "./ContentEncoding.js"
import type { ContentEncoding } from "./ContentEncoding.js"
import { DatumFraming, DatumReader, needInput, type NeedInput } from "./DatumReader.js"
import { PayloadError, StreamProtocolError } from "./errors.js"
import type { IntakeFaults } from "./IntakeOptions.js"
import type { IntakeBatch } from "./IntakeRecord.js"
import { type BatchApplier, type DecodeLimits, StreamDecoder, tooManyDatums } from "./StreamDecoder.js"

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

/**
 * Decompressed payload a batch takes in ahead of reading it: the datums' framing is counted as it arrives, so
 * a bomb of small datums is rejected at max-batch-datums before they are read (50,000 datums of up to 10
 * bytes fit in it).
 */
export const readAheadBytes = 8 * inflateChunkBytes

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

  /**
   * What a batch of `compressedBytes` holds while it is read, besides a field that spans chunks (see
   * `BatchWork.gatheredBytes`): its payload, and for a compressed one the chunks zlib is filling and has
   * ready, those taken in ahead, and the one being read.
   */
  payloadReservation(compressedBytes: number): number {
    return this.encoding === "identity" ? compressedBytes : compressedBytes + readAheadBytes + 3 * inflateChunkBytes
  }

  /**
   * Starts reading a batch whose payload is `data` (`StatefulBatch.data`), or rejects it (batch id out of
   * order, identity payload over the limit) before anything is decompressed: an identity payload is read as
   * it is; a compressed one is fed to the work a chunk at a time as it is decompressed.
   */
  begin(batchId: number, data: Uint8Array): BatchWork | BatchDecision {
    const applier = this.decoder.begin(batchId)
    if (applier instanceof StreamProtocolError) return { _tag: "Reject", error: applier }
    const decide = (done: BatchApplier) => this.decide(done)
    if (this.encoding !== "identity") return new BatchWork(DatumReader.incremental(), this.limits, applier, decide)
    const max = this.limits.maxPayloadBytes
    if (data.length > max) return payloadRejection(batchId, oversizedPayload(data.length, max))
    return new BatchWork(new DatumReader(data), this.limits, applier, decide)
  }

  /**
   * Decodes one whole batch (benchmarks and tests): decompressed at once, then fed to the reader in the chunks
   * the server reads it in, so the reading is the server's.
   */
  onBatch(batchId: number, data: Uint8Array): BatchDecision {
    const work = this.begin(batchId, data)
    if (!(work instanceof BatchWork)) return work
    const payload = this.encoding === "identity" ? data : decompress(data, this.encoding, this.limits.maxPayloadBytes)
    if (payload instanceof PayloadError) return work.fail(payload)
    let offset = 0
    for (;;) {
      const d = work.step(Number.MAX_SAFE_INTEGER)
      if (d === undefined) continue
      if (d !== needInput) return d
      do {
        if (offset >= payload.length) work.finish()
        else {
          const rejected = work.feed(payload.subarray(offset, offset + inflateChunkBytes))
          if (rejected !== undefined) return rejected
          offset += inflateChunkBytes
        }
      } while (work.wantsInput)
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

/**
 * One batch being read: `step` applies the next datums; a compressed batch's payload is given with `feed` as
 * it is inflated (up to `readAheadBytes` ahead of the reading, its datums counted from their framing as they
 * arrive), then `finish`. The stream must not start another batch meanwhile.
 */
export class BatchWork {
  private readonly framing = new DatumFraming()
  /** Chunks given and not yet handed to the reader. */
  private readonly ahead: Array<Uint8Array> = []
  private aheadBytes = 0
  private given = 0
  private complete = false

  constructor(
    private readonly reader: DatumReader,
    private readonly limits: IntakeLimits,
    private readonly applier: BatchApplier,
    private readonly decide: (applier: BatchApplier) => BatchDecision
  ) {}

  /** Bytes of payload given so far (decompressed). */
  get payloadBytes(): number {
    return Math.max(this.given, this.reader.byteLength)
  }

  /** Bytes held for a field that spans chunks (see `DatumReader.gatheredBytes`). */
  get gatheredBytes(): number {
    return this.reader.gatheredBytes
  }

  /** What the logs rebuilt so far hold (see `DecodeLimits.maxBatchLogBytes`). */
  get logBytes(): number {
    return this.applier.reconstructedBytes
  }

  /** Whether to give another chunk now: the payload is not complete and less than `readAheadBytes` waits. */
  get wantsInput(): boolean {
    return !this.complete && this.aheadBytes < readAheadBytes
  }

  /**
   * Gives the next chunk of the decompressed payload; the rejection once the payload passes its limit, or
   * once the datums framed so far pass theirs.
   */
  feed(chunk: Uint8Array): BatchDecision | undefined {
    const { maxBatchDatums, maxPayloadBytes } = this.limits
    if (this.given + chunk.length > maxPayloadBytes) return this.fail(oversizedPayload(undefined, maxPayloadBytes))
    this.given += chunk.length
    this.framing.add(chunk)
    if (this.framing.datums > maxBatchDatums) return { _tag: "Reject", error: tooManyDatums(this.applier.batchId, maxBatchDatums) }
    this.ahead.push(chunk)
    this.aheadBytes += chunk.length
    return undefined
  }

  /** The whole payload has been given. */
  finish(): void {
    this.complete = true
  }

  /** The rejection for a payload that could not be read (a decompression error). */
  fail(error: PayloadError): BatchDecision {
    return payloadRejection(this.applier.batchId, error)
  }

  /**
   * Applies up to `n` datums; returns the decision once the batch is read or broken, `needInput` when the
   * payload given so far is read (`feed` or `finish` next), `undefined` after `n` datums.
   */
  step(n: number): BatchDecision | NeedInput | undefined {
    for (let i = 0; i < n;) {
      const d = this.reader.next()
      if (d === needInput) {
        const chunk = this.ahead.shift()
        if (chunk !== undefined) {
          this.aheadBytes -= chunk.length
          this.reader.feed(chunk)
        } else if (this.complete) this.reader.finish()
        else return needInput
        continue
      }
      i++
      if (d === undefined) return this.decide(this.applier)
      if (d instanceof PayloadError) return this.fail(d)
      const e = this.applier.push(d)
      if (e !== undefined) return { _tag: "Reject", error: e }
    }
    return undefined
  }
}

const payloadRejection = (batchId: number, e: PayloadError): BatchDecision => ({
  _tag: "Reject",
  error: new PayloadError({ reason: e.reason, message: `batch ${batchId}: ${e.message}`, cause: e.cause })
})
