/**
 * The chunks of logs a stream worker holds for its producers until the inflight tracker has room, oldest
 * first. The first `capacity` of them release their producers at once (buffered ahead: from then on the worker
 * accounts for them); the producer of any other waits until its chunk moves up or is accepted — the
 * backpressure towards producers. Synchronous; owned by the driver fiber.
 */
import { Deferred, Exit } from "effect"
import type { SenderStopped } from "./errors.js"
import type { LogMessage, SourcePosition } from "./LogMessage.js"

export interface OfferedChunk {
  readonly logs: ReadonlyArray<LogMessage>
  readonly position: SourcePosition | undefined
  /** Succeeds once the worker has taken the chunk (it accounts for its logs), fails if it refused it. */
  readonly taken: Deferred.Deferred<void, SenderStopped>
}

export class HeldInput {
  private readonly chunks: Array<OfferedChunk> = []
  /** The first `released` chunks have released their producers. */
  private released = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.chunks.length
  }

  hold(chunk: OfferedChunk): void {
    this.chunks.push(chunk)
    this.release()
  }

  /** Removes the oldest chunk (to batch it), releasing its producer if it still waits. */
  take(): OfferedChunk | undefined {
    const chunk = this.chunks.shift()
    if (chunk === undefined) return undefined
    if (this.released > 0) this.released--
    else Deferred.unsafeDone(chunk.taken, Exit.void)
    this.release()
    return chunk
  }

  /**
   * Empties the buffer when the worker ends: producers still waiting are refused (`refused`); the logs of the
   * released chunks, which the worker accounted for, are returned (they end unacknowledged).
   */
  drain(refused: SenderStopped): number {
    let logs = 0
    for (let i = 0; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!
      if (i < this.released) logs += chunk.logs.length
      else Deferred.unsafeDone(chunk.taken, Exit.fail(refused))
    }
    this.chunks.length = 0
    this.released = 0
    return logs
  }

  private release(): void {
    while (this.released < this.chunks.length && this.released < this.capacity) {
      Deferred.unsafeDone(this.chunks[this.released++]!.taken, Exit.void)
    }
  }
}
