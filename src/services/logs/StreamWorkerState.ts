/**
 * What a stream worker shows of itself: its status, published after every turn of its driver (so callers
 * wait on a condition instead of polling), and its final report.
 */
import type { LogRejected } from "./errors.js"
import type { DoneReason, Phase, StreamProblem } from "./StreamWorkerMachine.js"

export interface WorkerStatus {
  readonly worker: number
  readonly phase: Phase
  readonly streamId: number
  /** Stop was requested: the worker takes no more logs and finishes what it holds. */
  readonly stopping: boolean
  readonly logsAccepted: number
  readonly logsAcked: number
  readonly logsRejected: number
  /** Data batches written to streams, retransmissions included. */
  readonly batchesSent: number
  readonly batchesAcked: number
  readonly bytesOnWire: number
  /** Chunks offered by producers and waiting for room in the inflight tracker. */
  readonly heldChunks: number
  readonly inflightPayloads: number
  readonly inflightBytes: number
  readonly dictionaryEntries: number
  readonly retransmittedBatches: number
  readonly rotations: number
  readonly problem: StreamProblem | undefined
  /** Unix ms when `problem` happened. */
  readonly problemAt: number | undefined
  readonly lastRejection: LogRejected | undefined
}

/** What became of every log handed to a worker: `acked + unacked + rejected` equals the logs it took. */
export interface WorkerReport {
  readonly worker: number
  readonly acked: number
  readonly unacked: number
  readonly rejected: number
  readonly reason: DoneReason
  readonly problem: StreamProblem | undefined
}

/** The driver's running counts: observations for the status, never inputs to a decision. */
export interface WorkerCounters {
  logsAccepted: number
  logsAcked: number
  logsRejected: number
  batchesSent: number
  batchesAcked: number
  bytesOnWire: number
  retransmittedBatches: number
  rotations: number
  /** The highest payload sequence number written so far: a lower one written again is a retransmission. */
  lastSentSeq: number
  problem: StreamProblem | undefined
  problemAt: number | undefined
  lastRejection: LogRejected | undefined
}

export const emptyCounters = (): WorkerCounters => ({
  logsAccepted: 0,
  logsAcked: 0,
  logsRejected: 0,
  batchesSent: 0,
  batchesAcked: 0,
  bytesOnWire: 0,
  retransmittedBatches: 0,
  rotations: 0,
  lastSentSeq: 0,
  problem: undefined,
  problemAt: undefined,
  lastRejection: undefined
})
