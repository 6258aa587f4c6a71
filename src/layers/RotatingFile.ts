/**
 * An append-only file that stays within a bound: when a write would take it past `maxBytes`, the file is
 * rotated (`path` → `path.1` → … → `path.<keep>`, the oldest dropped) and a new one started, so the files
 * together hold at most about `(keep + 1) × maxBytes`. A record is never split across files, and a failed
 * write is cut back so no partial record stays. Owned by its scope (closed with it).
 */
import * as Fs from "node:fs"
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
    const open = () => {
      Fs.mkdirSync(Path.dirname(Path.resolve(path)), { recursive: true })
      const fd = Fs.openSync(path, "a", mode)
      return { fd, size: Fs.fstatSync(fd).size }
    }
    const current = yield* Effect.acquireRelease(
      Effect.try({ try: open, catch: failure(path, "open") }),
      (c) => Effect.sync(() => Fs.closeSync(c.fd))
    )
    const rotate = () => {
      Fs.closeSync(current.fd)
      current.fd = -1
      if (keep === 0) Fs.rmSync(path, { force: true })
      for (let i = keep - 1; i >= 1; i--) {
        if (Fs.existsSync(`${path}.${i}`)) Fs.renameSync(`${path}.${i}`, `${path}.${i + 1}`)
      }
      if (keep > 0) Fs.renameSync(path, `${path}.1`)
      Object.assign(current, open())
    }
    const write = (data: string | Uint8Array) =>
      Effect.try({
        try: () => {
          const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data
          if (current.size > 0 && current.size + bytes.length > maxBytes) rotate()
          const before = current.size
          try {
            let off = 0
            while (off < bytes.length) off += Fs.writeSync(current.fd, bytes, off)
          } catch (e) {
            Fs.ftruncateSync(current.fd, before) // no partial record
            throw e
          }
          current.size += bytes.length
        },
        catch: failure(path, "write to")
      })
    return { write }
  })
