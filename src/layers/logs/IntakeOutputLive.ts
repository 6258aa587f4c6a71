/**
 * Live and in-memory `IntakeOutput`s. The file output owns its file and closes it with its scope; the stdout
 * output writes to a stream it does not own and never closes it.
 */
import * as Fs from "node:fs"
import { Effect, Layer, Stream, SubscriptionRef } from "effect"
import { IntakeOutput, IntakeOutputError } from "../../services/logs/IntakeOutput.js"
import { ChunkPool, type IntakeBatch, type IntakeRecord, JsonLinesEncoder, toIntakeRecords } from "../../services/logs/IntakeRecord.js"
import { yieldToEventLoop } from "./eventLoop.js"

/** Logs encoded between two event-loop yields (a few milliseconds of work). */
const encodeSlice = 4096

/** Encodes a batch as JSON lines in slices, so a large batch does not hold the event loop. */
const encodeBatch = (batch: IntakeBatch, pool?: ChunkPool) =>
  Effect.gen(function*() {
    const n = batch.logs.length
    const encoder = new JsonLinesEncoder(pool)
    for (let from = 0; from < n; from += encodeSlice) {
      if (from > 0) yield* yieldToEventLoop
      encoder.encode(batch, from, Math.min(n, from + encodeSlice))
    }
    return encoder.take()
  })

/** The file operations the file output needs; tests substitute failing ones. */
export interface FileIo {
  /** Writes some prefix of `chunks` at `position`; resolves with the bytes written. */
  readonly writev: (fd: number, chunks: ReadonlyArray<Buffer>, position: number) => Promise<number>
  readonly ftruncate: (fd: number, length: number) => Promise<void>
}

export const nodeFileIo: FileIo = {
  writev: (fd, chunks, position) =>
    new Promise((resolve, reject) => Fs.writev(fd, chunks as Array<Buffer>, position, (e, n) => (e ? reject(e) : resolve(n)))),
  ftruncate: (fd, length) => new Promise((resolve, reject) => Fs.ftruncate(fd, length, (e) => (e ? reject(e) : resolve())))
}

/** Drops the first `n` bytes of `chunks`. */
const skipBytes = (chunks: ReadonlyArray<Buffer>, n: number): Array<Buffer> => {
  const out: Array<Buffer> = []
  for (const c of chunks) {
    if (n >= c.length) n -= c.length
    else {
      out.push(n > 0 ? c.subarray(n) : c)
      n = 0
    }
  }
  return out
}

const describeError = (e: unknown) => (e as Error).message ?? String(e)

/**
 * JSON lines appended to a file (created if missing). Writes are positional from the end of the last whole
 * batch: when one fails (ENOSPC, EIO …) the file is truncated back to that end, so no partial record stays,
 * and the next write starts there again — the output recovers as soon as space returns.
 */
export const layerFile = (path: string, io: FileIo = nodeFileIo) =>
  Layer.scoped(
    IntakeOutput,
    Effect.gen(function*() {
      const fd = yield* Effect.acquireRelease(
        Effect.async<number, IntakeOutputError>((resume) => {
          Fs.open(path, Fs.constants.O_WRONLY | Fs.constants.O_CREAT, 0o644, (error, fd) =>
            resume(
              error
                ? Effect.fail(new IntakeOutputError({ target: path, message: `cannot open ${path}: ${error.message}`, cause: error }))
                : Effect.succeed(fd)
            ))
        }),
        (fd) => Effect.async<void>((resume) => Fs.close(fd, () => resume(Effect.void)))
      )
      /** End of the last batch written whole. */
      let end = yield* Effect.sync(() => Fs.fstatSync(fd).size)
      /** Set when a failed write could not be truncated away yet. */
      let dirty = false
      const lock = yield* Effect.makeSemaphore(1)
      // A batch's chunks go back to the pool once written (or given up on).
      const pool = new ChunkPool()

      const fail = (message: string, cause: unknown) => new IntakeOutputError({ target: path, message, cause })

      const writeAll = (chunks: ReadonlyArray<Buffer>) =>
        Effect.tryPromise({
          try: async () => {
            if (dirty) {
              await io.ftruncate(fd, end)
              dirty = false
            }
            const total = chunks.reduce((s, c) => s + c.length, 0)
            let done = 0
            try {
              while (done < total) done += await io.writev(fd, done === 0 ? chunks : skipBytes(chunks, done), end + done)
            } catch (cause) {
              dirty = true
              await io.ftruncate(fd, end).then(() => { dirty = false }, () => {})
              throw cause
            }
            end += total
          },
          catch: (cause) =>
            fail(
              `cannot write to ${path}: ${describeError(cause)} (${
                dirty ? `the partial batch could not be removed yet; retried before the next write` : `nothing of the batch was kept`
              })`,
              cause
            )
        })

      return IntakeOutput.of({
        write: (batch) =>
          encodeBatch(batch, pool).pipe(
            Effect.flatMap((chunks) =>
              lock.withPermits(1)(Effect.uninterruptible(writeAll(chunks))).pipe(Effect.ensuring(Effect.sync(() => pool.give(chunks))))
            )
          )
      })
    })
  )

/** JSON lines on standard output (not owned: never closed). */
export const layerStdout = Layer.succeed(
  IntakeOutput,
  IntakeOutput.of({
    write: (batch) =>
      Effect.flatMap(encodeBatch(batch), (chunks) =>
        Effect.async<void, IntakeOutputError>((resume) => {
          if (chunks.length === 0) return resume(Effect.void)
          chunks.forEach((c, i) =>
            process.stdout.write(c, i < chunks.length - 1 ? undefined : (error) =>
              resume(
                error
                  ? Effect.fail(new IntakeOutputError({ target: "stdout", message: `cannot write to stdout: ${error.message}`, cause: error }))
                  : Effect.void
              ))
          )
        }))
  })
)

/** An in-memory output for tests and embedding: records in order, with a way to wait for a count. */
export class MemoryIntakeOutput {
  private readonly records: Array<IntakeRecord> = []
  private constructor(private readonly count: SubscriptionRef.SubscriptionRef<number>) {}

  static readonly make = Effect.map(SubscriptionRef.make(0), (count) => new MemoryIntakeOutput(count))

  /** A copy of the records written so far. */
  readonly all: Effect.Effect<ReadonlyArray<IntakeRecord>> = Effect.sync(() => this.records.slice())

  /** Waits until at least `n` records were written. */
  awaitCount(n: number): Effect.Effect<void> {
    return this.count.changes.pipe(Stream.takeUntil((c) => c >= n), Stream.runDrain)
  }

  readonly layer: Layer.Layer<IntakeOutput> = Layer.succeed(
    IntakeOutput,
    IntakeOutput.of({
      write: (batch) =>
        Effect.suspend(() => {
          for (const r of toIntakeRecords(batch)) this.records.push(r)
          return SubscriptionRef.set(this.count, this.records.length)
        })
    })
  )
}
