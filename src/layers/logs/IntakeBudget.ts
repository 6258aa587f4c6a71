/**
 * The intake's memory budget, shared by all streams: bytes of batch payloads being decoded and of rebuilt logs
 * waiting to be written.
 *
 * - A batch is admitted (its payload reserved) only while the total stays within the budget; until then its
 *   stream does not read on, so HTTP/2 flow control holds the sender back. Admission is fair per stream: the
 *   batch of the stream holding the least goes first (`IntakeAdmission.ts`); an idle intake always admits one
 *   batch, so a batch larger than the budget cannot wait forever.
 * - The logs a batch rebuilds are counted as they appear. While the total is over the budget, batches being
 *   decoded pause between slices — all but one, so one always finishes and no set of streams can wait on
 *   each other.
 * - Everything is given back when the logs are written or the batch is dropped.
 *
 * So the total passes the budget by at most what one batch adds between two checks: the logs it rebuilds in one
 * slice, and up to `readAheadBytes` (512 KiB, plus one 64 KiB chunk) of payload read ahead, which a field spanning
 * chunks may gather in that time (`BatchWork.gatheredBytes`).
 */
import { Deferred, Effect, FiberId, SubscriptionRef } from "effect"
import { nextAdmission } from "../../services/logs/IntakeAdmission.js"

/** The budget in use: reserved bytes, and batches waiting to be admitted or to go on decoding. */
export interface IntakeMemory {
  readonly bufferedBytes: number
  readonly waitingBatches: number
}

export const makeIntakeBudget = (limit: number) =>
  Effect.gen(function*() {
    const state = yield* SubscriptionRef.make<IntakeMemory>({ bufferedBytes: 0, waitingBatches: 0 })
    let used = 0
    let decoding = 0
    let paused = 0
    const admissions: Array<{
      readonly bytes: number
      readonly holds: () => number
      readonly go: Deferred.Deferred<void>
      streamHolds: number
    }> = []
    let wakePaused = Deferred.unsafeMake<void>(FiberId.none)

    const publish = Effect.suspend(() =>
      SubscriptionRef.set(state, { bufferedBytes: used, waitingBatches: admissions.length + paused })
    )

    /** Admits waiting batches, fairly per stream, while they fit, and lets paused decoders re-check. */
    const wake = Effect.suspend(() => {
      for (const a of admissions) a.streamHolds = a.holds()
      for (;;) {
        const i = nextAdmission(admissions, used, limit)
        if (i === undefined) break
        const next = admissions.splice(i, 1)[0]!
        used += next.bytes
        decoding++
        Deferred.unsafeDone(next.go, Effect.void)
      }
      const woken = wakePaused
      wakePaused = Deferred.unsafeMake<void>(FiberId.none)
      Deferred.unsafeDone(woken, Effect.void)
      return publish
    })

    /**
     * Reserves a batch's payload, waiting for room; the batch then counts as decoding until `decoded`.
     * `onAdmitted` runs exactly when the reservation is made (not if interrupted while waiting). `streamHolds`
     * tells what the batch's stream holds of the budget meanwhile (its batches decoded and not yet written).
     */
    const admit = (bytes: number, onAdmitted: () => void, streamHolds: () => number = () => 0) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const go = yield* Deferred.make<void>()
          const ticket = { bytes, holds: streamHolds, go, streamHolds: 0 }
          admissions.push(ticket)
          yield* wake
          yield* restore(Deferred.await(go)).pipe(
            Effect.onInterrupt(() =>
              Effect.suspend(() => {
                const i = admissions.indexOf(ticket)
                if (i >= 0) {
                  admissions.splice(i, 1)
                  return wake
                }
                return decodedAndRelease(bytes) // admitted just before the interruption
              })
            )
          )
          onAdmitted()
        })
      )

    /** Counts bytes a decoding batch now holds (its rebuilt logs), without waiting. */
    const grow = (bytes: number) =>
      Effect.suspend(() => {
        used += bytes
        return publish
      })

    /** Between slices: pauses while the budget is spent, unless this is the only decoder still going. */
    const checkpoint: Effect.Effect<void> = Effect.suspend(() => {
      if (used <= limit || paused >= decoding - 1) return Effect.void
      paused++
      const woken = wakePaused
      return publish.pipe(
        Effect.zipRight(Deferred.await(woken)),
        Effect.ensuring(Effect.suspend(() => {
          paused--
          return publish
        })),
        Effect.zipRight(checkpoint)
      )
    })

    const release = (bytes: number) =>
      Effect.suspend(() => {
        used -= bytes
        return wake
      })

    /** The batch's decoding is over (finished or dropped); `bytes` of what it held are given back. */
    const decodedAndRelease = (bytes: number) =>
      Effect.suspend(() => {
        decoding--
        used -= bytes
        return wake
      })

    return {
      admit,
      grow,
      checkpoint,
      decoded: decodedAndRelease,
      release,
      current: SubscriptionRef.get(state),
      changes: state.changes
    } as const
  })

export type IntakeBudget = Effect.Effect.Success<ReturnType<typeof makeIntakeBudget>>
