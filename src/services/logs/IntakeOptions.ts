/**
 * Options of the reference intake, including the fault injection used by tests and chaos runs.
 */
import type { Redacted } from "effect"
import { defaultMaxPayloadBytes } from "./ContentEncoding.js"
import { defaultDecodeLimits } from "./StreamDecoder.js"

export interface IntakeFaults {
  /** Abort a stream with UNAVAILABLE once it has acknowledged this many data batches… */
  readonly resetAfterBatches?: number | undefined
  /** …this many times in all (across streams). */
  readonly resets?: number | undefined
  /** Delay every acknowledgement by this many milliseconds (acks stay in order). */
  readonly ackDelayMs?: number | undefined
  /** Stop acknowledging on a stream after this many acks (batches are still decoded and written). */
  readonly withholdAcksAfter?: number | undefined
  /** Reject the first `rejectCount` streams with this gRPC status code. */
  readonly rejectStatus?: number | undefined
  readonly rejectCount?: number | undefined
}

export interface IntakeOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  /** When set, `dd-api-key` must equal it; otherwise any non-empty key is accepted. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Limit on a decompressed batch payload (default 16 MiB). */
  readonly maxPayloadBytes?: number | undefined
  /** Limit on the datums of one batch (default 50,000: 50 times the sender's batch). */
  readonly maxBatchDatums?: number | undefined
  /** Limit on the reconstructed logs of one batch (default 16 MiB; see `DecodeLimits`). */
  readonly maxBatchLogBytes?: number | undefined
  /** Limit on the dictionary and patterns one stream holds (default 32 MiB). */
  readonly maxStateBytes?: number | undefined
  /**
   * Memory all streams' batches may hold together, from decompression until written (default 256 MiB; see
   * `IntakeBudget.ts`). A stream that finds the budget spent stops reading (HTTP/2 flow control then holds its
   * sender back) instead of growing the heap.
   */
  readonly maxBufferedBytes?: number | undefined
  readonly faults?: IntakeFaults | undefined
}

export const intakeDefaults = {
  maxPayloadBytes: defaultMaxPayloadBytes,
  maxBatchDatums: defaultDecodeLimits.maxBatchDatums,
  maxBatchLogBytes: defaultDecodeLimits.maxBatchLogBytes,
  maxStateBytes: defaultDecodeLimits.maxStateBytes,
  maxBufferedBytes: 256 * 1024 * 1024
} as const

/** Counters of one intake run (the shutdown summary). */
export interface IntakeStats {
  readonly streams: number
  readonly activeStreams: number
  readonly batches: number
  readonly logs: number
  readonly errors: number
}
