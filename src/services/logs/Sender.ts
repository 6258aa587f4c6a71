/**
 * The logs sender: N stream workers sharing one transport (one gRPC channel per endpoint), fed round-robin
 * one chunk at a time. Shutdown stops every worker in parallel and sums their exact reports.
 */
import { Context, Effect, Queue, type Scope, Stream } from "effect"
import type { LogMessage, SourcePosition } from "./LogMessage.js"
import type { SenderConfig } from "./SenderConfig.js"
import type { SenderStopped } from "./errors.js"
import { makeStreamWorker, type WorkerReport, type WorkerStatus } from "./StreamWorker.js"
import type { StreamTransport } from "./StreamTransport.js"

export interface SendReport {
  readonly acked: number
  readonly unacked: number
  readonly rejected: number
  /** True when every log offered was acknowledged and no worker failed. */
  readonly complete: boolean
  readonly workers: ReadonlyArray<WorkerReport>
}

export interface LogsSenderService {
  /**
   * Hands a chunk of logs to the next worker; waits while that worker is full. A chunk given a `position` is
   * reported on `acknowledged` once all its logs are settled.
   */
  readonly send: (logs: ReadonlyArray<LogMessage>, position?: SourcePosition) => Effect.Effect<void, SenderStopped>
  /**
   * Positions of settled chunks, as they settle (chunks of different workers may settle out of order). Bounded:
   * a caller that gives positions must take them, or the workers wait.
   */
  readonly acknowledged: Queue.Dequeue<SourcePosition>
  /**
   * Stops taking input, sends what is buffered and waits for acknowledgements while they keep coming (giving
   * up after the shutdown timeout without one), then reports.
   */
  readonly shutdown: Effect.Effect<SendReport>
  /** Stops at once (e.g. on a signal), cancelling the streams; unacknowledged logs are reported as such. */
  readonly abort: Effect.Effect<SendReport>
  readonly status: Effect.Effect<SenderStatus>
  /** The status now and after every change of a worker's: wait on it for a condition instead of polling. */
  readonly changes: Stream.Stream<SenderStatus>
}

/** Each worker's status, in worker order. */
export type SenderStatus = ReadonlyArray<WorkerStatus>

export class LogsSender extends Context.Tag("dd-agent-effect/LogsSender")<LogsSender, LogsSenderService>() {}

export const summarize = (workers: ReadonlyArray<WorkerReport>): SendReport => {
  let acked = 0
  let unacked = 0
  let rejected = 0
  for (const w of workers) {
    acked += w.acked
    unacked += w.unacked
    rejected += w.rejected
  }
  // A worker that gave up (fatal rejection, crash) delivered nothing more than it acked: never complete.
  const failed = workers.some((w) => w.reason === "failed")
  return { acked, unacked, rejected, complete: unacked === 0 && rejected === 0 && !failed, workers }
}

/** Settled positions the sender holds for its caller at most (a chunk is ~1 000 lines: ample slack). */
const acknowledgedCapacity = 1024

export const makeSender = (config: SenderConfig): Effect.Effect<LogsSenderService, never, Scope.Scope | StreamTransport> =>
  Effect.gen(function*() {
    const acknowledged = yield* Effect.acquireRelease(Queue.bounded<SourcePosition>(acknowledgedCapacity), Queue.shutdown)
    const workers = yield* Effect.forEach(Array.from({ length: config.workers }, (_, i) => i), (i) => makeStreamWorker(config, i, acknowledged))
    let next = 0
    const send = (logs: ReadonlyArray<LogMessage>, position?: SourcePosition) =>
      Effect.suspend(() => {
        const w = workers[next]!
        next = (next + 1) % workers.length
        return w.offer(logs, position)
      })
    const shutdown = Effect.map(
      Effect.forEach(workers, (w) => w.shutdown, { concurrency: "unbounded" }),
      summarize
    )
    const abort = Effect.map(
      Effect.forEach(workers, (w) => w.abort, { concurrency: "unbounded" }),
      summarize
    )
    const status = Effect.forEach(workers, (w) => w.status)
    const changes: Stream.Stream<SenderStatus> = Stream.zipLatestAll(...workers.map((w) => w.changes))
    return { send, acknowledged, shutdown, abort, status, changes } satisfies LogsSenderService
  })
