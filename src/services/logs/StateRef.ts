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

/**
 * How much an entry is used, with no clock: uses decay by half every `usageHalfLife` batches, so an entry
 * that was hot long ago cools down and a steadily used one stays warm. `uses` is the decayed count as of
 * batch `lastUse`.
 */
export interface Usage {
  uses: number
  lastUse: number
}

/** Batches without use that halve an entry's usage score. */
export const usageHalfLife = 16

/** Records one use in batch `now`. */
export const touch = (u: Usage, now: number): void => {
  if (u.lastUse === now) u.uses++
  else {
    u.uses = usageScore(u, now) + 1
    u.lastUse = now
  }
}

/** The usage score in batch `now`: uses decayed by the batches since the last use. */
export const usageScore = (u: Usage, now: number): number =>
  u.lastUse === now ? u.uses : u.uses * Math.pow(0.5, (now - u.lastUse) / usageHalfLife)

/** Releases an acknowledged batch's references. */
export const releaseRefs = (refs: ReadonlyArray<StateRef>): void => {
  for (let i = 0; i < refs.length; i++) {
    const e = refs[i]!
    e.refs--
    if (e.refs === 0 && e.evicted) e.owner.unreferenced(e)
  }
}

/**
 * The per-batch bookkeeping of a table of reference-counted entries: the open batch's references, evictions
 * and the deletes they release. `E` is the entry, `D` the delete datum it becomes.
 */
export abstract class RefCountedTable<E extends StateRef, D> {
  /** Sequence number of the open batch. */
  protected openBatch = 1
  private openRefs: Array<E> = []
  private readonly deletes: Array<D> = []
  /** Evicted entries whose delete waits for unacknowledged batches. */
  protected waiting = 0
  protected evictionCount = 0

  /** The delete datum of an entry. */
  protected abstract deleteOf(entry: E): D

  /** Makes the open batch reference `entry` (once per batch). */
  protected reference(entry: E): void {
    if (entry.lastBatch === this.openBatch) return
    entry.lastBatch = this.openBatch
    entry.refs++
    this.openRefs.push(entry)
  }

  /** An entry leaves the table: its delete goes out now, or once no unacknowledged batch references it. */
  protected retire(entry: E): void {
    entry.evicted = true
    this.evictionCount++
    if (entry.refs === 0) this.deletes.push(this.deleteOf(entry))
    else this.waiting++
  }

  /**
   * Evicts the coldest entries of `live` (lowest usage score first) until `enough()`, never one the open
   * batch references; `remove` takes an entry out of the owner's lookup.
   */
  protected evictColdest(live: Iterable<E & Usage>, enough: () => boolean, remove: (entry: E) => void): void {
    const now = this.openBatch
    const candidates: Array<{ readonly e: E; readonly score: number }> = []
    for (const e of live) if (e.lastBatch !== now) candidates.push({ e, score: usageScore(e, now) })
    candidates.sort((a, b) => a.score - b.score)
    for (const { e } of candidates) {
      if (enough()) break
      remove(e)
      this.retire(e)
    }
  }

  /** Closes the open batch: returns the entries it references (to release on acknowledgement). */
  sealBatch(): Array<E> {
    const refs = this.openRefs
    this.openRefs = []
    this.openBatch++
    return refs
  }

  /** An evicted entry lost its last reference (see `releaseRefs`): its delete may go on the wire. */
  unreferenced(entry: StateRef): void {
    this.waiting--
    this.deletes.push(this.deleteOf(entry as E))
  }

  /** Deletes that may now go on the wire (in the next batch). */
  takeDeletes(): ReadonlyArray<D> {
    if (this.deletes.length === 0) return []
    return this.deletes.splice(0, this.deletes.length)
  }

  get hasDeletes(): boolean {
    return this.deletes.length > 0
  }
}
