/** One sealed batch: the unit of inflight tracking, batch ids, acks and retransmission. */
import type { Datum } from "./Datum.js"
import type { SourcePosition } from "./LogMessage.js"
import type { StateRef } from "./StateRef.js"

export interface Payload {
  /** Monotonic per worker, for ordering and diagnostics (not the wire batch id). */
  readonly seq: number
  /** The bytes of `StatefulBatch.data` (compressed DatumSequence). */
  readonly data: Uint8Array
  /** Serialized DatumSequence size before compression. */
  readonly uncompressedBytes: number
  /** Logs in the batch (state datums are not logs). */
  readonly logCount: number
  /** Defines and deletes in wire order: applied to the acknowledged snapshot when the batch is acked. */
  readonly stateChanges: ReadonlyArray<Datum>
  /** State entries (dictionary entries, patterns) the batch references, released on acknowledgement. */
  readonly stateRefs: ReadonlyArray<StateRef>
  /** Positions of the chunks whose last log is in this batch: settled when the batch is acknowledged. */
  readonly positions: Array<SourcePosition>
}
