/**
 * Linux classifier: reads /proc/self/net/tcp and tcp6 (the socket state and receive queue) and
 * never touches the connection's bytes. One read per tick serves every held connection; ticks back
 * off from 1 ms to 1 s and restart at 1 ms when a new connection is held, because the kernel walks
 * its whole connection table on each read (~4 ms of system time, whatever the number of sockets).
 */
import * as Fs from "node:fs"
import { Deferred, Duration, Effect, Layer, Metric, Queue, type Scope } from "effect"
import { ConnectionClassifier, type HeldConnectionRef } from "../../services/loader/Classifier.js"
import { ClassifierError } from "../../services/loader/errors.js"
import * as Metrics from "../../services/loader/Metrics.js"
import type { Classification } from "../../services/loader/Policy.js"
import { decidedConnections } from "../../services/loader/ProcNetTcp.js"

export interface ProcNetOptions {
  /** Returns the text of every table to consult (tcp and tcp6). */
  readonly readTables: Effect.Effect<ReadonlyArray<string>, ClassifierError>
  /** Socket inode of a descriptor in this process. */
  readonly inodeOf: (fd: number) => Effect.Effect<number, ClassifierError>
  readonly firstDelay?: Duration.DurationInput
  readonly maxDelay?: Duration.DurationInput
}

const readText = (path: string) =>
  Effect.tryPromise({
    try: () => Fs.promises.readFile(path, "latin1"),
    catch: (cause) => new ClassifierError({ message: `cannot read ${path}`, cause })
  })

/** The live sources: this process's view of the kernel TCP tables and fstat inodes. */
export const liveProcNetSources: Pick<ProcNetOptions, "readTables" | "inodeOf"> = {
  readTables: Effect.all([readText("/proc/self/net/tcp"), readText("/proc/self/net/tcp6")], {
    concurrency: 2
  }),
  inodeOf: (fd) =>
    Effect.try({
      try: () => Fs.fstatSync(fd).ino,
      catch: (cause) => new ClassifierError({ message: `cannot stat descriptor ${fd}`, cause })
    })
}

interface Pending {
  readonly inode: number
  readonly done: Deferred.Deferred<Classification, ClassifierError>
}

export const makeProcNetClassifier = (
  options: ProcNetOptions
): Effect.Effect<ConnectionClassifier["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const first = Duration.toMillis(options.firstDelay ?? "1 millis")
    const max = Duration.toMillis(options.maxDelay ?? "1 second")
    const pending = new Map<number, Pending>()
    const wake = yield* Effect.acquireRelease(Queue.sliding<void>(1), Queue.shutdown)

    const tick = Effect.gen(function*() {
      yield* Metric.increment(Metrics.classifierLookups)
      const texts = yield* options.readTables
      const inodes = [...pending].map(([id, p]) => [id, p.inode] as const)
      for (const [id, verdict] of decidedConnections(texts, inodes)) {
        const p = pending.get(id)
        if (p === undefined) continue // stopped by an earlier verdict's consequences
        pending.delete(id)
        yield* Deferred.succeed(p.done, verdict)
      }
    }).pipe(
      Effect.catchAll((e) =>
        Effect.forEach([...pending.values()], (p) => Deferred.fail(p.done, e), { discard: true }).pipe(
          Effect.zipRight(Effect.sync(() => pending.clear()))
        )
      )
    )

    // One poller for all held connections: sleeps while none is pending.
    yield* Effect.gen(function*() {
      yield* Queue.take(wake)
      let delay = first
      while (pending.size > 0) {
        // A newly held connection cuts a long backoff short so its first look is quick; at the
        // shortest delay wake-ups are ignored, so a stream of arrivals cannot postpone the tick.
        const woken = delay > first
          ? yield* Queue.take(wake).pipe(
            Effect.as(true),
            Effect.race(Effect.as(Effect.sleep(Duration.millis(delay)), false))
          )
          : yield* Effect.as(Effect.sleep(Duration.millis(delay)), false)
        if (woken) {
          delay = first
          continue
        }
        // This read serves every connection registered so far, including those that woke us.
        yield* Queue.takeAll(wake)
        yield* tick
        delay = Math.min(delay * 2, max)
      }
    }).pipe(Effect.forever, Effect.interruptible, Effect.forkScoped)

    const classify = (conn: HeldConnectionRef) =>
      Effect.gen(function*() {
        const inode = yield* options.inodeOf(conn.fd)
        const done = yield* Deferred.make<Classification, ClassifierError>()
        pending.set(conn.id, { inode, done })
        yield* Queue.offer(wake, undefined)
        return yield* Deferred.await(done)
      }).pipe(Effect.ensuring(Effect.sync(() => pending.delete(conn.id))))

    return { classify }
  })

/** The /proc classifier as a layer, for programs that take the classifier from the context. */
export const layerProcNetClassifier: Layer.Layer<ConnectionClassifier> = Layer.scoped(
  ConnectionClassifier,
  makeProcNetClassifier(liveProcNetSources)
)
