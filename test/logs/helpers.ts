/** Shared fixtures of the sender tests. */
import type { LogMessage } from "../../src/services/logs/LogMessage.js"
import type { WorkerStatus } from "../../src/services/logs/StreamWorker.js"
import { decodeSenderConfig, type SenderConfig, type SenderConfigInput } from "../../src/services/logs/SenderConfig.js"
import { Either } from "effect"

export const config = (input: SenderConfigInput = {}): SenderConfig => {
  const c = decodeSenderConfig({ encoding: "identity", ...input })
  if (Either.isLeft(c)) throw new Error(c.left.message)
  return c.right
}

const sharedTags = ["service:web", "env:test"]

/** Deterministic logs: a few tag sets and statuses, distinct contents. */
export const makeLogs = (n: number, from = 0): Array<LogMessage> => {
  const out: Array<LogMessage> = []
  for (let i = from; i < from + n; i++) {
    out.push({
      content: `line ${i} GET /api/v1/items/${i % 97} 200 ${i * 7 % 1000}ms`,
      timestamp: 1_700_000_000_000 + i * 3,
      tags: i % 5 === 0 ? [`host:h${i % 3}`, "env:test"] : sharedTags,
      status: i % 7 === 0 ? "error" : "info"
    })
  }
  return out
}

/** A worker's status for fake senders: worker 0, idle and stopping, 100 logs accepted, none settled, unless `over` says. */
export const workerStatus = (over: Partial<WorkerStatus> = {}): WorkerStatus => ({
  worker: 0,
  phase: "idle",
  streamId: 1,
  stopping: true,
  logsAccepted: 100,
  logsAcked: 0,
  logsRejected: 0,
  batchesSent: 0,
  batchesAcked: 0,
  bytesOnWire: 0,
  heldChunks: 0,
  inflightPayloads: 0,
  inflightBytes: 0,
  dictionaryEntries: 0,
  retransmittedBatches: 0,
  rotations: 0,
  problem: undefined,
  problemAt: undefined,
  lastRejection: undefined,
  ...over
})
