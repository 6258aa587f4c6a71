/**
 * The offset registry on disk: loaded once, updated in memory as acknowledgements arrive, and written
 * atomically (temporary file, fsync, rename) at most once per `flushInterval` and when its scope closes, so a
 * crash mid-write leaves the previous registry intact.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Context, Data, Duration, Effect, Either, Layer, Schedule } from "effect"
import { emptyRegistry, parseRegistry, type RegistryEntry, type RegistryFile } from "../../services/inputs/Registry.js"

export class RegistryError extends Data.TaggedError("RegistryError")<{
  readonly path: string
  readonly message: string
  readonly cause?: unknown
}> {}

export class RegistryStore extends Context.Tag("dd-agent-effect/inputs/RegistryStore")<RegistryStore, {
  readonly get: (file: string) => RegistryEntry | undefined
  readonly set: (file: string, entry: RegistryEntry) => void
  /** Writes the registry now if it changed. */
  readonly flush: Effect.Effect<void, RegistryError>
  readonly snapshot: Effect.Effect<RegistryFile>
}>() {}

const tmpPrefix = (path: string) => `${Path.basename(path)}.tmp-`

/**
 * Writes `text` to `path` atomically: a temporary file beside it, fsync, rename, fsync of the directory. A
 * failed write removes its temporary file (never a file it did not create).
 */
export const writeAtomically = (path: string, text: string) =>
  Effect.try({
    try: () => {
      Fs.mkdirSync(Path.dirname(path), { recursive: true })
      const tmp = Path.join(Path.dirname(path), `${tmpPrefix(path)}${process.pid}`)
      const fd = Fs.openSync(tmp, "w", 0o600)
      try {
        try {
          Fs.writeSync(fd, text)
          Fs.fsyncSync(fd)
        } finally {
          Fs.closeSync(fd)
        }
        Fs.renameSync(tmp, path)
      } catch (e) {
        Fs.rmSync(tmp, { force: true })
        throw e
      }
      // Make the rename itself durable (a power loss right after must not bring the old entry back).
      const dir = Fs.openSync(Path.dirname(path), "r")
      try {
        Fs.fsyncSync(dir)
      } finally {
        Fs.closeSync(dir)
      }
    },
    catch: (cause) => new RegistryError({ path, message: `cannot write registry ${path}: ${(cause as Error).message}`, cause })
  })

/** Removes temporary files a crashed writer left beside the registry (one process owns a registry). */
const removeStaleTemporaries = (path: string) =>
  Effect.sync(() => {
    const dir = Path.dirname(path)
    if (!Fs.existsSync(dir)) return
    for (const entry of Fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.startsWith(tmpPrefix(path))) Fs.rmSync(Path.join(dir, entry.name), { force: true })
    }
  })

export const makeRegistryStore = (path: string, flushInterval: Duration.DurationInput = "1 second") =>
  Effect.gen(function*() {
    yield* removeStaleTemporaries(path)
    let state: Record<string, RegistryEntry> = {}
    if (Fs.existsSync(path)) {
      const parsed = parseRegistry(Fs.readFileSync(path, "utf8"))
      if (Either.isRight(parsed)) state = { ...parsed.right.files }
      else {
        // Keep the unreadable file for inspection and start fresh rather than refuse to run.
        const aside = `${path}.corrupt-${Date.now()}`
        Fs.renameSync(path, aside)
        yield* Effect.logWarning("offset registry unreadable; starting with an empty one").pipe(
          Effect.annotateLogs({ registry: path, movedTo: aside, problem: parsed.left })
        )
      }
    }
    let dirty = false
    const snapshot = (): RegistryFile => ({ ...emptyRegistry, files: { ...state } })
    const flush = Effect.suspend(() => {
      if (!dirty) return Effect.void
      dirty = false
      // A failed write leaves the registry dirty, so the next flush retries it.
      return writeAtomically(path, JSON.stringify(snapshot()) + "\n").pipe(Effect.tapError(() => Effect.sync(() => { dirty = true })))
    })
    yield* flush.pipe(
      Effect.catchAll((e) => Effect.logWarning(e.message)),
      Effect.repeat(Schedule.spaced(flushInterval)),
      Effect.interruptible,
      Effect.forkScoped
    )
    // The final write on close (writes are synchronous, so it never interleaves with the periodic one).
    yield* Effect.addFinalizer(() => flush.pipe(Effect.catchAll((e) => Effect.logError(e.message))))
    return RegistryStore.of({
      get: (file) => state[file],
      set: (file, entry) => {
        state[file] = entry
        dirty = true
      },
      flush,
      snapshot: Effect.sync(snapshot)
    })
  })

export const layerRegistryStore = (path: string) => Layer.scoped(RegistryStore, makeRegistryStore(path))
