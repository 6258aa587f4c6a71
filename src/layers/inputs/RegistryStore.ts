/**
 * The offset registry on disk, and the checkpointer that advances it: inputs `track` the files they read
 * (each a source with its own id), settled positions arrive as data through `acknowledge`, and a file's entry
 * advances over the contiguous run of settled bytes. The registry is loaded once, updated in memory, and written
 * atomically (temporary file, fsync, rename) at most once per `flushInterval` and when its scope closes, so a
 * crash mid-write leaves the previous registry intact.
 */
import * as Fs from "node:fs"
import * as FsP from "node:fs/promises"
import * as Path from "node:path"
import { Clock, Context, Data, Duration, Effect, Either, Layer, Schedule } from "effect"
import { AckRanges } from "../../services/inputs/AckRanges.js"
import type { SourcePosition } from "../../services/inputs/InputLine.js"
import { emptyRegistry, type Fingerprint, parseRegistry, type RegistryEntry, type RegistryFile } from "../../services/inputs/Registry.js"

export class RegistryError extends Data.TaggedError("RegistryError")<{
  readonly path: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** A file as an input reads it: one source id per file and reading (a truncation starts a new source). */
export interface FileSource {
  readonly id: number
  readonly dev: number
  readonly ino: number
  readonly fingerprint: Fingerprint
  /** Where reading started: the committed offset of a new source. */
  readonly start: number
}

export class RegistryStore extends Context.Tag("dd-agent-effect/inputs/RegistryStore")<RegistryStore, {
  readonly get: (file: string) => RegistryEntry | undefined
  readonly set: (file: string, entry: RegistryEntry) => void
  /** A fresh source id. */
  readonly newSource: () => number
  /**
   * `path` is now read as `source`: its entry records this source's progress from here on (a source already
   * tracked keeps its progress, e.g. a file handed to another name, or a longer fingerprint).
   */
  readonly track: (path: string, source: FileSource) => void
  /** Settled positions: each advances its source's entry over the contiguous run of settled bytes. */
  readonly acknowledge: (positions: Iterable<SourcePosition>) => void
  /** Writes the registry now if it changed. */
  readonly flush: Effect.Effect<void, RegistryError>
  readonly snapshot: Effect.Effect<RegistryFile>
}>() {}

const tmpPrefix = (path: string) => `${Path.basename(path)}.tmp-`

/**
 * Writes `text` to `path` atomically: a temporary file beside it, fsync, rename, fsync of the directory. A
 * failed write removes its temporary file (never a file it did not create). Asynchronous (the fsyncs wait on
 * the disk, not on the event loop) and uninterruptible: once started, a write runs to its end, so a later write
 * to the same temporary name never overlaps it.
 */
export const writeAtomically = (path: string, text: string) =>
  Effect.tryPromise({
    try: async () => {
      const dir = Path.dirname(path)
      await FsP.mkdir(dir, { recursive: true })
      const tmp = Path.join(dir, `${tmpPrefix(path)}${process.pid}`)
      const file = await FsP.open(tmp, "w", 0o600)
      try {
        try {
          await file.writeFile(text)
          await file.sync()
        } finally {
          await file.close()
        }
        await FsP.rename(tmp, path)
      } catch (e) {
        await FsP.rm(tmp, { force: true })
        throw e
      }
      // Make the rename itself durable (a power loss right after must not bring the old entry back).
      const handle = await FsP.open(dir, "r")
      try {
        await handle.sync()
      } finally {
        await handle.close()
      }
    },
    catch: (cause) => new RegistryError({ path, message: `cannot write registry ${path}: ${(cause as Error).message}`, cause })
  }).pipe(Effect.uninterruptible)

/** Removes temporary files a crashed writer left beside the registry (one process owns a registry). */
const removeStaleTemporaries = (path: string) =>
  Effect.sync(() => {
    const dir = Path.dirname(path)
    if (!Fs.existsSync(dir)) return
    for (const entry of Fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.startsWith(tmpPrefix(path))) Fs.rmSync(Path.join(dir, entry.name), { force: true })
    }
  })

const maxSources = 4096

export const makeRegistryStore = (path: string, flushInterval: Duration.DurationInput = "1 second") =>
  Effect.gen(function*() {
    yield* removeStaleTemporaries(path)
    let state: Record<string, RegistryEntry> = {}
    if (Fs.existsSync(path)) {
      const parsed = parseRegistry(Fs.readFileSync(path, "utf8"))
      if (Either.isRight(parsed)) state = { ...parsed.right.files }
      else {
        // Keep the unreadable file for inspection and start fresh rather than refuse to run.
        const aside = `${path}.corrupt-${yield* Clock.currentTimeMillis}`
        Fs.renameSync(path, aside)
        yield* Effect.logWarning("offset registry unreadable; starting with an empty one").pipe(
          Effect.annotateLogs({ registry: path, movedTo: aside, problem: parsed.left })
        )
      }
    }
    // Entries are stamped from the Clock service (TestClock in tests), read synchronously by track/acknowledge.
    const clock = yield* Effect.clock
    let dirty = false
    const write = (file: string, entry: RegistryEntry) => {
      state[file] = entry
      dirty = true
    }
    // The checkpointer: per source its settled ranges and the path it is read under; per path its source.
    const sources = new Map<number, { source: FileSource; ranges: AckRanges; path: string }>()
    const owners = new Map<string, number>()
    let lastSource = 0
    const entryOf = (s: FileSource, offset: number): RegistryEntry => ({
      offset,
      dev: s.dev,
      ino: s.ino,
      fingerprint: s.fingerprint,
      updatedAt: clock.unsafeCurrentTimeMillis()
    })
    const track = (path: string, source: FileSource) => {
      const known = sources.get(source.id)
      const ranges = known?.ranges ?? new AckRanges(source.start)
      sources.set(source.id, { source, ranges, path })
      owners.set(path, source.id)
      write(path, entryOf(source, ranges.committedOffset))
      // Sources no path records (rotated away, truncated) may still be handed to another name for a while;
      // past a bound the oldest of them are forgotten, and their late acknowledgements name nothing.
      if (sources.size > maxSources) {
        for (const [id, s] of sources) {
          if (sources.size <= maxSources) break
          if (owners.get(s.path) !== id) sources.delete(id)
        }
      }
    }
    const acknowledge = (positions: Iterable<SourcePosition>) => {
      for (const p of positions) {
        const s = sources.get(p.source)
        if (s === undefined) continue
        const moved = s.ranges.settle(p.start, p.end)
        if (moved !== undefined && owners.get(s.path) === p.source) write(s.path, entryOf(s.source, moved))
      }
    }
    const snapshot = (): RegistryFile => ({ ...emptyRegistry, files: { ...state } })
    // One write at a time: the final flush on close waits for a periodic one in progress, then writes what
    // changed since.
    const oneWriter = yield* Effect.makeSemaphore(1)
    const flush = oneWriter.withPermits(1)(Effect.suspend(() => {
      if (!dirty) return Effect.void
      dirty = false
      // A failed write leaves the registry dirty, so the next flush retries it.
      return writeAtomically(path, JSON.stringify(snapshot()) + "\n").pipe(Effect.tapError(() => Effect.sync(() => { dirty = true })))
    }))
    yield* flush.pipe(
      Effect.catchAll((e) => Effect.logWarning(e.message)),
      Effect.repeat(Schedule.spaced(flushInterval)),
      Effect.interruptible,
      Effect.forkScoped
    )
    // The final write on close.
    yield* Effect.addFinalizer(() => flush.pipe(Effect.catchAll((e) => Effect.logError(e.message))))
    return RegistryStore.of({
      get: (file) => state[file],
      set: write,
      newSource: () => ++lastSource,
      track,
      acknowledge,
      flush,
      snapshot: Effect.sync(snapshot)
    })
  })

export const layerRegistryStore = (path: string) => Layer.scoped(RegistryStore, makeRegistryStore(path))
