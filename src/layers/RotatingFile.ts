/**
 * An append-only file that stays within a bound: when a write would take it past `maxBytes`, the file is
 * rotated (`path` → `path.1` → … → `path.<keep>`, the oldest dropped) and a new one started, so the files
 * together hold at most about `(keep + 1) × maxBytes`. A record is never split across files, and a failed
 * write is cut back so no partial record stays. Writes are asynchronous (they never block the event loop) and
 * applied one at a time in the order they were made. Owned by its scope (closed with it).
 */
import * as FsP from "node:fs/promises"
import * as Path from "node:path"
import { Data, Effect, type Scope } from "effect"

export interface RotatingFileOptions {
  readonly path: string
  /** Rotate before a write would make the file larger than this. */
  readonly maxBytes: number
  /** Rotated files kept beside the current one (0: the old content is dropped at rotation). */
  readonly keep: number
  /** Permission bits of created files (default 0600: they may hold other users' data). */
  readonly mode?: number
}

export class FileWriteError extends Data.TaggedError("FileWriteError")<{
  readonly path: string
  readonly message: string
  readonly cause?: unknown
}> {}

export interface RotatingFile {
  readonly write: (data: string | Uint8Array) => Effect.Effect<void, FileWriteError>
}

const failure = (path: string, what: string) => (cause: unknown) =>
  new FileWriteError({ path, message: `cannot ${what} ${path}: ${(cause as Error).message}`, cause })

export const makeRotatingFile = (options: RotatingFileOptions): Effect.Effect<RotatingFile, FileWriteError, Scope.Scope> =>
  Effect.gen(function*() {
    const { path, maxBytes, keep } = options
    const mode = options.mode ?? 0o600
    const open = async () => {
      await FsP.mkdir(Path.dirname(Path.resolve(path)), { recursive: true })
      const handle = await FsP.open(path, "a", mode)
      return { handle, size: (await handle.stat()).size }
    }
    const current = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: open, catch: failure(path, "open") }),
      (c) =>
        Effect.tryPromise({ try: () => c.handle.close(), catch: failure(path, "close") }).pipe(
          Effect.catchAll((e) => Effect.logError(e.message))
        )
    )
    const rotate = async () => {
      await current.handle.close()
      if (keep === 0) await FsP.rm(path, { force: true })
      for (let i = keep - 1; i >= 1; i--) {
        await FsP.rename(`${path}.${i}`, `${path}.${i + 1}`).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== "ENOENT") throw e
        })
      }
      if (keep > 0) await FsP.rename(path, `${path}.1`)
      Object.assign(current, await open())
    }
    const append = async (bytes: Uint8Array) => {
      if (current.size > 0 && current.size + bytes.length > maxBytes) await rotate()
      const before = current.size
      try {
        let off = 0
        while (off < bytes.length) off += (await current.handle.write(bytes, off)).bytesWritten
      } catch (e) {
        await current.handle.truncate(before) // no partial record
        throw e
      }
      current.size += bytes.length
    }
    // Writes run one at a time, in order, and to their end once started (a record is never half written).
    const oneWriter = yield* Effect.makeSemaphore(1)
    const write = (data: string | Uint8Array) =>
      Effect.tryPromise({
        try: () => append(typeof data === "string" ? Buffer.from(data, "utf8") : data),
        catch: failure(path, "write to")
      }).pipe(Effect.uninterruptible, oneWriter.withPermits(1))
    return { write }
  })
