/**
 * The order in which the intake's memory budget admits waiting batches, as a pure choice. Admission is fair
 * per stream: the batch of the stream that holds the least of the budget goes first (first come, first served
 * among equals), so streams that fill the budget and queue more behind it cannot hold back a stream that
 * holds little: that stream's batch is next as soon as one batch's worth of room is free. The chosen batch is
 * admitted when it fits, or when nothing is held at all (a batch larger than the budget cannot wait forever);
 * no other batch is let past it meanwhile, so a large batch is never starved by smaller ones. A stream's
 * holdings only fall while its batch waits (its decoded batches are written), so it reaches the front.
 */

/** A batch waiting for admission: the bytes it asks for, and what its stream holds of the budget now. */
export interface WaitingBatch {
  readonly bytes: number
  readonly streamHolds: number
}

/** The index in `waiting` (in arrival order) of the batch to admit now, if any. */
export const nextAdmission = (waiting: ReadonlyArray<WaitingBatch>, used: number, limit: number): number | undefined => {
  let next = -1
  for (let i = 0; i < waiting.length; i++) {
    if (next < 0 || waiting[i]!.streamHolds < waiting[next]!.streamHolds) next = i
  }
  if (next < 0) return undefined
  return used === 0 || used + waiting[next]!.bytes <= limit ? next : undefined
}
