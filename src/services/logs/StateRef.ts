/**
 * Reference counting shared by the sender's stream state (dictionary entries, patterns): each sealed batch
 * holds the entries it references until the intake acknowledges it. An entry evicted while still referenced
 * gets its delete only when the last such batch is released, so a replayed batch never meets a deleted id.
 */

export interface StateRef {
  /** Batches (open or unacknowledged) that reference this entry. */
  refs: number
  /** Sequence number of the last batch that took a reference (dedupes references within a batch). */
  lastBatch: number
  evicted: boolean
  /** The table that emits the entry's delete once it is evicted and unreferenced. */
  readonly owner: { readonly unreferenced: (entry: StateRef) => void }
}

/** Releases an acknowledged batch's references. */
export const releaseRefs = (refs: ReadonlyArray<StateRef>): void => {
  for (let i = 0; i < refs.length; i++) {
    const e = refs[i]!
    e.refs--
    if (e.refs === 0 && e.evicted) e.owner.unreferenced(e)
  }
}
