/**
 * Live snapshot uploader: a bounded queue (items and bytes) feeding one driver fiber that batches with
 * the pure Batcher, and batch requests (JSON array, `ddtags` query parameter, gzip only when configured)
 * sent in a scoped FiberSet with at most `maxInFlight` at once, retried with jittered exponential backoff
 * on network errors, 408, 429 and 5xx. A 404 from an agent's `/debugger/v2/input` switches snapshots to the
 * older agent's path for good (as dd-trace-js does). Closing the scope sends what is queued (bounded
 * wait) and then stops every fiber.
 */
import { promisify } from "node:util"
import * as zlib from "node:zlib"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import type { Deferred as DeferredT } from "effect"
import { Clock, Deferred, Duration, Effect, FiberSet, Layer, Metric, Option, Queue, Redacted, Ref, Schedule } from "effect"
import type { Batch, BatchState, UploadItem } from "../../services/debugger/Batcher.js"
import { addItem, batchBody, drainBatches, dueBatches, emptyBatches, nextDeadline } from "../../services/debugger/Batcher.js"
import { UploadError } from "../../services/debugger/errors.js"
import type { UploaderConfig, UploadStats } from "../../services/debugger/Uploader.js"
import { emptyStats, olderAgentEndpointFor, Uploader, uploadMetrics } from "../../services/debugger/Uploader.js"

const gzipAsync = promisify(zlib.gzip)

type Entry = { readonly _tag: "Item"; readonly item: UploadItem } | { readonly _tag: "Wake" }

const multipartBoundary = "dd-agent-effect-diagnostics"

/** The errno of a Node network error, looked for along its causes (and in an AggregateError's errors). */
const errnoOf = (e: unknown, depth = 0): string | undefined => {
  if (typeof e !== "object" || e === null || depth > 4) return undefined
  if ("code" in e && typeof e.code === "string") return e.code
  if ("errors" in e && Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = errnoOf(inner, depth + 1)
      if (code !== undefined) return code
    }
  }
  return "cause" in e ? errnoOf(e.cause, depth + 1) : undefined
}

/** A transport failure as an UploadError whose reason says what happened. */
const transportError = (url: URL, cause: unknown, message: string): UploadError =>
  errnoOf(cause) === "ECONNREFUSED"
    ? new UploadError({ reason: "ConnectionRefused", detail: url.host })
    : new UploadError({ reason: "Network", detail: message })

/** The request body for a batch: a JSON array, or for diagnostics a multipart form with part `event`. */
export const requestBody = (batch: Batch): { readonly body: Uint8Array; readonly contentType: string } => {
  const json = batchBody(batch)
  if (batch.channel === "snapshot") return { body: Buffer.from(json), contentType: "application/json" }
  const form = `--${multipartBoundary}\r\nContent-Disposition: form-data; name="event"; filename="event.json"\r\n` +
    `Content-Type: application/json\r\n\r\n${json}\r\n--${multipartBoundary}--\r\n`
  return { body: Buffer.from(form), contentType: `multipart/form-data; boundary=${multipartBoundary}` }
}

export const makeUploader = (config: UploaderConfig) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const entries = yield* Effect.acquireRelease(Queue.dropping<Entry>(config.queueItems), Queue.shutdown)
    const queuedBytes = yield* Ref.make(0)
    const stats = yield* Ref.make<UploadStats>({ ...emptyStats, snapshotEndpoint: config.endpoint.href })
    const snapshotEndpoint = yield* Ref.make(config.endpoint)
    const pendingFlushes = yield* Ref.make<ReadonlyArray<DeferredT.Deferred<void>>>([])
    const inFlight = yield* Effect.makeSemaphore(config.maxInFlight)
    const requests = yield* FiberSet.make<void, never>()
    const count = (f: (s: UploadStats) => UploadStats) => Ref.update(stats, f)

    const retryPolicy = Schedule.exponential(config.backoffBase).pipe(
      Schedule.jittered,
      Schedule.intersect(Schedule.recurs(Math.max(0, config.maxAttempts - 1)))
    )

    const attempt = (url: URL, batch: Batch, body: Uint8Array, contentType: string) => {
      let req = HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUint8Array(body, contentType))
      if (config.gzip) req = HttpClientRequest.setHeader(req, "Content-Encoding", "gzip")
      if (batch.ddtags !== "") req = HttpClientRequest.setUrlParam(req, "ddtags", batch.ddtags)
      if (config.apiKey !== undefined) req = HttpClientRequest.setHeader(req, "DD-API-KEY", Redacted.value(config.apiKey))
      return http.execute(req).pipe(
        Effect.timeoutFail({
          duration: config.requestTimeout,
          onTimeout: () => new UploadError({ reason: "Timeout", detail: Duration.format(config.requestTimeout) })
        }),
        Effect.catchTag("RequestError", "ResponseError", (e) => Effect.fail(transportError(url, e.cause, e.message))),
        Effect.flatMap((res) =>
          res.text.pipe(
            Effect.catchAll(() => Effect.succeed("")),
            Effect.flatMap((text) =>
              res.status >= 200 && res.status < 300
                ? Effect.void
                : Effect.fail(new UploadError({ reason: "Status", status: res.status, detail: text.slice(0, 200) })))
          )),
        Effect.scoped
      )
    }

    /** One attempt at the current endpoint; a 404 from an agent's v2 path is retried at once on the older path. */
    const attemptOnce = (batch: Batch, body: Uint8Array, contentType: string) =>
      Effect.gen(function*() {
        if (batch.channel !== "snapshot") return yield* attempt(config.diagnosticsEndpoint, batch, body, contentType)
        const url = yield* Ref.get(snapshotEndpoint)
        const older = olderAgentEndpointFor(url)
        return yield* attempt(url, batch, body, contentType).pipe(
          Effect.catchIf((e) => e.reason === "Status" && e.status === 404 && older !== undefined, () =>
            Effect.gen(function*() {
              yield* Ref.set(snapshotEndpoint, older!)
              yield* count((s) => ({ ...s, snapshotEndpoint: older!.href }))
              yield* Effect.logWarning("the agent has no /debugger/v2/input: sending snapshots to its /debugger/v1/diagnostics").pipe(
                Effect.annotateLogs({ from: url.href, to: older!.href })
              )
              return yield* attempt(older!, batch, body, contentType)
            }))
        )
      })

    const send = (batch: Batch): Effect.Effect<void> =>
      Effect.gen(function*() {
        const { body, contentType } = requestBody(batch)
        const payload = config.gzip
          ? yield* Effect.promise(() => gzipAsync(body)).pipe(Effect.map((b) => new Uint8Array(b)))
          : body
        let attempts = 0
        const outcome = yield* Effect.suspend(() => {
          attempts++
          return attemptOnce(batch, payload, contentType).pipe(
            Effect.tapError((e) => count((s) => ({ ...s, lastError: e.message })))
          )
        }).pipe(Effect.retry({ schedule: retryPolicy, while: (e) => e.retryable }), Effect.either)
        const n = batch.items.length
        const retries = attempts - 1
        yield* Metric.incrementBy(uploadMetrics.batches, 1)
        yield* Metric.incrementBy(uploadMetrics.retries, retries)
        yield* Metric.incrementBy(uploadMetrics.bytesRaw, body.length)
        yield* Metric.incrementBy(uploadMetrics.bytesSent, payload.length * attempts)
        if (outcome._tag === "Right") yield* Metric.incrementBy(uploadMetrics.delivered, n)
        else {
          yield* Metric.incrementBy(uploadMetrics.failed, n)
          yield* Effect.logWarning("snapshot batch not delivered", outcome.left.message).pipe(
            Effect.annotateLogs({ items: n, status: outcome.left.status ?? "none", attempts })
          )
        }
        yield* count((s) => ({
          ...s,
          batches: s.batches + 1,
          retries: s.retries + retries,
          bytesRaw: s.bytesRaw + body.length,
          bytesSent: s.bytesSent + payload.length * attempts,
          delivered: s.delivered + (outcome._tag === "Right" ? n : 0),
          failed: s.failed + (outcome._tag === "Left" ? n : 0)
        }))
      })

    /** Waits for a request slot (backpressure on the driver), then sends in the background. */
    const dispatch = (batches: ReadonlyArray<Batch>) =>
      Effect.forEach(batches, (b) =>
        inFlight.take(1).pipe(
          Effect.zipRight(FiberSet.run(requests, send(b).pipe(Effect.ensuring(inFlight.release(1)))))
        ), { discard: true })

    const accept = (state: BatchState, entry: Entry, now: number) =>
      Effect.gen(function*() {
        if (entry._tag === "Wake") return state
        yield* Ref.update(queuedBytes, (b) => b - entry.item.bytes)
        const step = addItem(state, entry.item, now, config.batch)
        yield* dispatch(step.flush)
        return step.state
      })

    const driver = Effect.gen(function*() {
      let state = emptyBatches
      while (true) {
        const now = yield* Clock.currentTimeMillis
        const deadline = nextDeadline(state, config.batch)
        const next = deadline === undefined
          ? yield* Effect.map(Queue.take(entries), Option.some)
          : yield* Queue.take(entries).pipe(Effect.timeoutOption(Duration.millis(Math.max(0, deadline - now))))
        const at = yield* Clock.currentTimeMillis
        if (Option.isSome(next)) state = yield* accept(state, next.value, at)
        const due = dueBatches(state, at, config.batch)
        state = due.state
        yield* dispatch(due.flush)
        const waiting = yield* Ref.getAndSet(pendingFlushes, [])
        if (waiting.length > 0) {
          for (const e of yield* Queue.takeAll(entries)) state = yield* accept(state, e, at)
          const all = drainBatches(state)
          state = all.state
          yield* dispatch(all.flush)
          yield* inFlight.withPermits(config.maxInFlight)(Effect.void)
          yield* Effect.forEach(waiting, (d) => Deferred.succeed(d, undefined), { discard: true })
        }
      }
    })
    yield* driver.pipe(Effect.interruptible, Effect.forkScoped)

    const offer = (item: UploadItem): Effect.Effect<boolean> =>
      Effect.gen(function*() {
        const fits = yield* Ref.modify(queuedBytes, (b) =>
          b + item.bytes > config.queueBytes ? [false, b] as const : [true, b + item.bytes] as const)
        const accepted = fits && (yield* Queue.offer(entries, { _tag: "Item", item }))
        if (fits && !accepted) yield* Ref.update(queuedBytes, (b) => b - item.bytes)
        yield* count((s) => accepted ? { ...s, enqueued: s.enqueued + 1 } : { ...s, dropped: s.dropped + 1 })
        if (!accepted) yield* Metric.increment(uploadMetrics.dropped)
        return accepted
      })

    const flush = Effect.gen(function*() {
      const done = yield* Deferred.make<void>()
      yield* Ref.update(pendingFlushes, (ds) => [...ds, done])
      // If the queue is full the driver is busy and sees the request after its next item.
      yield* Queue.offer(entries, { _tag: "Wake" })
      yield* Deferred.await(done)
    })

    // Registered last, so it runs first on close: deliver what is queued while the driver still runs.
    yield* Effect.addFinalizer(() => flush.pipe(Effect.interruptible, Effect.timeoutOption(Duration.seconds(5))))

    return Uploader.of({ offer, flush, stats: Ref.get(stats) })
  })

export const layer = (config: UploaderConfig) => Layer.scoped(Uploader, makeUploader(config))
