/**
 * Live and in-memory `IntakeOutput`s. The file output owns its file and closes it (flushed) with its scope;
 * the stdout output writes to a stream it does not own and never closes it.
 */
import * as Fs from "node:fs"
import { Duration, Effect, Layer, Stream, SubscriptionRef } from "effect"
import { IntakeOutput, IntakeOutputError } from "../../services/logs/IntakeOutput.js"
import { type IntakeRecord, toJsonLines } from "../../services/logs/IntakeRecord.js"

const writeTo = (stream: NodeJS.WritableStream, target: string, text: string) =>
  Effect.async<void, IntakeOutputError>((resume) => {
    stream.write(text, (error) =>
      resume(
        error
          ? Effect.fail(new IntakeOutputError({ target, message: `cannot write to ${target}: ${error.message}`, cause: error }))
          : Effect.void
      ))
  })

/** JSON lines appended to a file (created if missing). */
export const layerFile = (path: string) =>
  Layer.scoped(
    IntakeOutput,
    Effect.gen(function*() {
      const file = yield* Effect.acquireRelease(
        Effect.async<Fs.WriteStream, IntakeOutputError>((resume) => {
          const ws = Fs.createWriteStream(path, { flags: "a" })
          ws.once("error", (error) =>
            resume(Effect.fail(new IntakeOutputError({ target: path, message: `cannot open ${path}: ${error.message}`, cause: error }))))
          ws.once("open", () => {
            ws.removeAllListeners("error")
            ws.on("error", () => {}) // later errors surface through write callbacks
            resume(Effect.succeed(ws))
          })
        }),
        (ws) =>
          Effect.async<void>((resume) => {
            ws.end(() => resume(Effect.void))
          }).pipe(Effect.interruptible, Effect.timeoutOption(Duration.seconds(5)))
      )
      return IntakeOutput.of({ write: (records) => writeTo(file, path, toJsonLines(records)) })
    })
  )

/** JSON lines on standard output (not owned: never closed). */
export const layerStdout = Layer.succeed(
  IntakeOutput,
  IntakeOutput.of({ write: (records) => writeTo(process.stdout, "stdout", toJsonLines(records)) })
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
          for (const r of batch) this.records.push(r)
          return SubscriptionRef.set(this.count, this.records.length)
        })
    })
  )
}
