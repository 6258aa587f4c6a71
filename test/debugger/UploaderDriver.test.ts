/** The uploader's driver under the TestClock, with an in-memory HTTP client (no sockets, no gzip). */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Ref, TestClock } from "effect"
import type { UploadItem } from "../../src/services/debugger/Batcher.js"
import type { UploaderConfig } from "../../src/services/debugger/Uploader.js"
import { Uploader, uploaderConfig } from "../../src/services/debugger/Uploader.js"
import { layer as layerUploader } from "../../src/layers/debugger/UploaderLive.js"

const item: UploadItem = { channel: "snapshot", ddtags: "", json: "{}", bytes: 2 }

const fakeHttp = (statuses: ReadonlyArray<number>, seen: Ref.Ref<ReadonlyArray<HttpClientRequest.HttpClientRequest>>) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((req) =>
      Ref.modify(seen, (xs) => [xs.length, [...xs, req]] as const).pipe(
        Effect.map((n) => HttpClientResponse.fromWeb(req, new Response("", { status: statuses[n] ?? 200 })))
      ))
  )

const run = <A, E>(statuses: ReadonlyArray<number>, over: Partial<UploaderConfig>, body: (seen: Effect.Effect<number>) => Effect.Effect<A, E, Uploader>) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<ReadonlyArray<HttpClientRequest.HttpClientRequest>>([])
    const layer = layerUploader(uploaderConfig("http://intake.invalid/debugger/v2/input", { gzip: false, ...over })).pipe(
      Layer.provide(fakeHttp(statuses, seen))
    )
    return yield* body(Effect.map(Ref.get(seen), (xs) => xs.length)).pipe(Effect.provide(layer))
  })

describe("uploader driver (TestClock)", () => {
  it.scoped("flushes a partial batch exactly when its 100 ms interval elapses", () =>
    run([], {}, (requests) =>
      Effect.gen(function*() {
        const up = yield* Uploader
        yield* up.offer(item)
        yield* TestClock.adjust("99 millis")
        assert.strictEqual(yield* requests, 0)
        yield* TestClock.adjust("1 millis")
        assert.strictEqual(yield* requests, 1)
      })))

  it.scoped("waits a jittered backoff before retrying a 503", () =>
    run([503, 200], { backoffBase: Duration.millis(100) }, (requests) =>
      Effect.gen(function*() {
        const up = yield* Uploader
        yield* up.offer(item)
        const flushing = yield* Effect.fork(up.flush)
        yield* TestClock.adjust("1 millis")
        assert.strictEqual(yield* requests, 1)
        yield* TestClock.adjust("70 millis") // jitter keeps the first delay within 80–120 ms
        assert.strictEqual(yield* requests, 1)
        yield* TestClock.adjust("60 millis")
        assert.strictEqual(yield* requests, 2)
        yield* Fiber.join(flushing)
        const s = yield* up.stats
        assert.deepStrictEqual([s.delivered, s.retries, s.failed], [1, 1, 0])
      })))

  it.scoped("gives up after maxAttempts on a persistent 500", () =>
    run([500, 500, 500, 500], { maxAttempts: 3, backoffBase: Duration.millis(10) }, (requests) =>
      Effect.gen(function*() {
        const up = yield* Uploader
        yield* up.offer(item)
        const flushing = yield* Effect.fork(up.flush)
        yield* TestClock.adjust("1 seconds")
        yield* Fiber.join(flushing)
        assert.strictEqual(yield* requests, 3)
        const s = yield* up.stats
        assert.deepStrictEqual([s.delivered, s.retries, s.failed], [0, 2, 1])
      })))
})
