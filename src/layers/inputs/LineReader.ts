/**
 * Reading lines from the outside world, for every input: a Node readable (stdin, a TCP connection) or a file
 * read to its end. Both feed bytes to the shared `LineSplitter` (same line endings, same limit, same UTF-8
 * rules everywhere) and hand the lines of each read to `onLines`, whose waiting is the backpressure.
 */
import * as FsP from "node:fs/promises"
import type { Readable } from "node:stream"
import { Data, Effect } from "effect"
import { defaultMaxLineBytes, LineSplitter, type SplitLine } from "../../services/inputs/LineSplitter.js"

/** A file-system call of an input failed; `input` names what was being read and `operation` the call. */
export class InputReadError extends Data.TaggedError("InputReadError")<{
  readonly input: string
  readonly operation: "open" | "stat" | "read" | "glob"
  readonly message: string
  readonly cause?: unknown
}> {}

const doing = { open: "opening", stat: "checking", read: "reading", glob: "expanding" } as const

/** The typed error of `operation` on `input`, keeping the Node error as its cause. */
export const inputError = (input: string, operation: InputReadError["operation"]) => (cause: unknown) =>
  new InputReadError({ input, operation, message: `${doing[operation]} ${input}: ${(cause as Error)?.message ?? String(cause)}`, cause })

export interface ReadOptions {
  readonly maxLineBytes?: number | undefined
}


/**
 * Reads `readable` to its end (pull-based: nothing more is read while `onLines` waits), a last line without a
 * newline included. Does not close the readable: it is not the reader's to close (stdin).
 */
export const readStreamLines = <E, R>(
  readable: Readable,
  input: string,
  onLines: (lines: ReadonlyArray<SplitLine>) => Effect.Effect<void, E, R>,
  options: ReadOptions = {}
): Effect.Effect<void, E | InputReadError, R> =>
  Effect.gen(function*() {
    const splitter = new LineSplitter(0, options.maxLineBytes ?? defaultMaxLineBytes)
    const iterator = readable[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>
    for (;;) {
      const next = yield* Effect.tryPromise({ try: () => iterator.next(), catch: inputError(input, "read") })
      if (next.done === true) break
      const lines = splitter.feed(typeof next.value === "string" ? Buffer.from(next.value) : next.value)
      if (lines.length > 0) yield* onLines(lines)
    }
    const last = splitter.end()
    if (last !== undefined) yield* onLines([last])
  })

/**
 * Reads the file at `path` from its start to its end, in reads of `chunkBytes` into one reused buffer, a last
 * line without a newline included. The file handle is closed when reading ends, however it ends.
 *
 * 128 KiB (~700 access-log lines) per read: each read's lines are decoded at once and live until batched, so
 * smaller reads keep fewer lines on the heap (`logs send` peaked 5-7 MiB higher with 256 KiB reads and 4 chunks
 * buffered per worker), while each asynchronous read costs a fixed 0.06-0.16 ms of CPU here, which 64 KiB reads
 * would pay ~2 800 times per 1 M lines.
 */
export const readFileLines = <E, R>(
  path: string,
  onLines: (lines: ReadonlyArray<SplitLine>) => Effect.Effect<void, E, R>,
  options: ReadOptions & { readonly chunkBytes?: number | undefined } = {}
): Effect.Effect<void, E | InputReadError, R> =>
  Effect.scoped(Effect.gen(function*() {
    const handle = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => FsP.open(path, "r"), catch: inputError(path, "open") }),
      (h) => Effect.promise(() => h.close())
    )
    const buffer = Buffer.allocUnsafe(options.chunkBytes ?? 128 * 1024)
    const splitter = new LineSplitter(0, options.maxLineBytes ?? defaultMaxLineBytes)
    for (;;) {
      const { bytesRead } = yield* Effect.tryPromise({
        try: () => handle.read(buffer, 0, buffer.length, splitter.position),
        catch: inputError(path, "read")
      })
      if (bytesRead === 0) break
      const lines = splitter.feed(buffer.subarray(0, bytesRead))
      if (lines.length > 0) yield* onLines(lines)
    }
    const last = splitter.end()
    if (last !== undefined) yield* onLines([last])
  }))
