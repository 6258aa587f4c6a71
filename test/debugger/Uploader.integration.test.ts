import * as Net from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Redacted, Scope } from "effect"
import type { UploadItem } from "../../src/services/debugger/Batcher.js"
import type { UploaderConfig } from "../../src/services/debugger/Uploader.js"
import { Uploader, uploaderConfig } from "../../src/services/debugger/Uploader.js"
import { layer as layerUploader } from "../../src/layers/debugger/UploaderLive.js"
import { startIntake } from "./intake.js"

const item = (i: number, ddtags = "env:prod,version:1"): UploadItem => {
  const json = JSON.stringify({ n: i, pad: "x".repeat(20) })
  return { channel: "snapshot", ddtags, json, bytes: Buffer.byteLength(json) }
}

const uploaderLayer = (url: string, over: Partial<UploaderConfig> = {}) =>
  layerUploader(uploaderConfig(url, { backoffBase: Duration.millis(5), ...over })).pipe(Layer.provide(NodeHttpClient.layer))

const withUploader = <A, E>(url: string, over: Partial<UploaderConfig>, body: Effect.Effect<A, E, Uploader>) =>
  body.pipe(Effect.provide(uploaderLayer(url, over)))

/** Offers items numbered `ns`, flushing after each group, and returns the stats. */
const uploadGroups = (url: string, over: Partial<UploaderConfig>, ...groups: ReadonlyArray<ReadonlyArray<number>>) =>
  withUploader(url, over, Effect.gen(function*() {
    const up = yield* Uploader
    for (const ns of groups) {
      for (const n of ns) yield* up.offer(item(n))
      yield* up.flush
    }
    return yield* up.stats
  }))

describe("uploader against a local intake", () => {
  it.scopedLive("batches at the item limit, gzips a JSON array when asked and passes ddtags as a query parameter", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake()
      const stats = yield* withUploader(intake.url, { batch: { maxItems: 3, maxBytes: 1 << 20, intervalMs: 60_000 }, gzip: true }, Effect.gen(function*() {
        const up = yield* Uploader
        for (let i = 0; i < 7; i++) assert.isTrue(yield* up.offer(item(i)))
        yield* up.flush
        return yield* up.stats
      }))
      const reqs = yield* intake.all
      // Requests run concurrently, so they may be answered in any order.
      assert.deepStrictEqual(reqs.map((r) => JSON.parse(r.text).length).sort(), [1, 3, 3])
      const ns = reqs.flatMap((r) => JSON.parse(r.text).map((m: { n: number }) => m.n)).sort()
      assert.deepStrictEqual(ns, [0, 1, 2, 3, 4, 5, 6])
      for (const r of reqs) {
        assert.strictEqual(r.headers["content-encoding"], "gzip")
        assert.strictEqual(r.headers["content-type"], "application/json")
        assert.strictEqual(r.url.pathname, "/debugger/v2/input")
        assert.strictEqual(r.url.searchParams.get("ddtags"), "env:prod,version:1")
      }
      assert.deepStrictEqual([stats.delivered, stats.batches, stats.failed, stats.dropped], [7, 3, 0, 0])
      assert.isBelow(stats.bytesSent, stats.bytesRaw)
    }))

  it.scopedLive("sends bodies uncompressed by default, as the tracers do", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake()
      yield* uploadGroups(intake.url, {}, [1])
      const [r] = yield* intake.all
      assert.isUndefined(r!.headers["content-encoding"])
      assert.deepStrictEqual(JSON.parse(r!.text), [JSON.parse(item(1).json)])
    }))

  it.scopedLive("on a 404 from an agent's /debugger/v2/input, sends to /debugger/v1/diagnostics and keeps doing so", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake({ status: (_, url) => (url.pathname === "/debugger/v2/input" ? 404 : 200) })
      const stats = yield* uploadGroups(intake.url, {}, [1], [2])
      const reqs = yield* intake.all
      assert.deepStrictEqual(reqs.map((r) => [r.url.pathname, r.status]), [
        ["/debugger/v2/input", 404],
        ["/debugger/v1/diagnostics", 200],
        ["/debugger/v1/diagnostics", 200]
      ])
      assert.deepStrictEqual(reqs.slice(1).map((r) => JSON.parse(r.text)[0].n), [1, 2])
      assert.strictEqual(reqs[1]!.headers["content-type"], "application/json")
      assert.strictEqual(reqs[1]!.url.searchParams.get("ddtags"), "env:prod,version:1")
      assert.deepStrictEqual([stats.delivered, stats.failed, stats.retries], [2, 0, 0])
      assert.strictEqual(new URL(stats.snapshotEndpoint).pathname, "/debugger/v1/diagnostics")
    }))

  it.scopedLive("a 404 from an endpoint that is not an agent's v2 path fails the batch without a fallback", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake({ status: () => 404 })
      const url = intake.url.replace("/debugger/v2/input", "/api/v2/debugger")
      const stats = yield* uploadGroups(url, {}, [1])
      assert.deepStrictEqual((yield* intake.all).map((r) => r.url.pathname), ["/api/v2/debugger"])
      assert.deepStrictEqual([stats.delivered, stats.failed, stats.lastError], [0, 1, "HTTP 404: nope"])
    }))

  it.scopedLive("says connection refused when nothing listens", () =>
    Effect.gen(function*() {
      // A port that was just free: bound, then closed.
      const port = yield* Effect.async<number>((resume) => {
        const s = Net.createServer().listen(0, "127.0.0.1", () => {
          const p = (s.address() as Net.AddressInfo).port
          s.close(() => resume(Effect.succeed(p)))
        })
      })
      const stats = yield* uploadGroups(`http://127.0.0.1:${port}/debugger/v2/input`, { maxAttempts: 2 }, [1])
      assert.deepStrictEqual([stats.failed, stats.retries], [1, 1])
      assert.strictEqual(stats.lastError, `connection refused (127.0.0.1:${port})`)
    }))

  it.scopedLive("flushes a partial batch after the interval without being asked", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake()
      yield* withUploader(intake.url, { batch: { maxItems: 1024, maxBytes: 1 << 20, intervalMs: 50 } }, Effect.gen(function*() {
        const up = yield* Uploader
        yield* up.offer(item(1))
        const r = yield* intake.next
        assert.strictEqual(JSON.parse(r.text).length, 1)
      }))
    }))

  it.scopedLive("keeps every request body under the byte threshold", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake()
      yield* withUploader(intake.url, { batch: { maxItems: 1024, maxBytes: 100, intervalMs: 60_000 }, gzip: false }, Effect.gen(function*() {
        const up = yield* Uploader
        for (let i = 0; i < 9; i++) yield* up.offer(item(i))
        yield* up.flush
      }))
      const reqs = yield* intake.all
      assert.isAbove(reqs.length, 1)
      for (const r of reqs) assert.isAtMost(Buffer.byteLength(r.text), 100)
      assert.strictEqual(reqs.reduce((n, r) => n + JSON.parse(r.text).length, 0), 9)
    }))

  it.scopedLive("retries 503 and then succeeds", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake({ status: (n) => (n < 2 ? 503 : 200) })
      const stats = yield* uploadGroups(intake.url, {}, [1])
      assert.deepStrictEqual((yield* intake.all).map((r) => r.status), [503, 503, 200])
      assert.deepStrictEqual([stats.delivered, stats.retries, stats.failed], [1, 2, 0])
    }))

  it.scopedLive("retries 408 (request timeout) like 429 and 5xx", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake({ status: (n) => (n === 0 ? 408 : n === 1 ? 429 : 200) })
      const stats = yield* uploadGroups(intake.url, {}, [1])
      assert.deepStrictEqual((yield* intake.all).map((r) => r.status), [408, 429, 200])
      assert.deepStrictEqual([stats.delivered, stats.retries, stats.failed], [1, 2, 0])
    }))

  it.scopedLive("does not retry a 400, and counts the batch as failed", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake({ status: () => 400 })
      const stats = yield* uploadGroups(intake.url, {}, [1, 2])
      assert.strictEqual((yield* intake.all).length, 1)
      assert.deepStrictEqual([stats.delivered, stats.retries, stats.failed], [0, 0, 2])
    }))

  it.scopedLive("drops and counts items when the queue is full, delivering the rest", () =>
    Effect.gen(function*() {
      let release!: () => void
      const released = new Promise<void>((r) => { release = r })
      const intake = yield* startIntake({ gate: (n) => (n === 0 ? released : Promise.resolve()) })
      const stats = yield* withUploader(intake.url, {
        batch: { maxItems: 1, maxBytes: 1 << 20, intervalMs: 60_000 }, maxInFlight: 1, queueItems: 2
      }, Effect.gen(function*() {
        const up = yield* Uploader
        yield* up.offer(item(0))
        // The first request is now held by the server, so the one request slot stays taken.
        assert.strictEqual(yield* intake.nextArrival, 0)
        let refused = 0
        for (let i = 1; i <= 10; i++) if (!(yield* up.offer(item(i)))) refused++
        yield* Effect.sync(() => release())
        yield* up.flush
        const s = yield* up.stats
        assert.strictEqual(s.dropped, refused)
        return s
      }))
      assert.isAbove(stats.dropped, 0)
      assert.strictEqual(stats.delivered + stats.dropped, 11)
      assert.strictEqual((yield* intake.all).reduce((n, r) => n + JSON.parse(r.text).length, 0), stats.delivered)
    }))

  it.scopedLive("sends diagnostics as multipart to the diagnostics path, with the API key header", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake()
      yield* withUploader(intake.url, { apiKey: Redacted.make("secret-key") }, Effect.gen(function*() {
        const up = yield* Uploader
        const json = JSON.stringify({ debugger: { diagnostics: { status: "EMITTING" } } })
        yield* up.offer({ channel: "diagnostic", ddtags: "", json, bytes: json.length })
        yield* up.flush
      }))
      const [r] = yield* intake.all
      assert.strictEqual(r?.url.pathname, "/debugger/v1/diagnostics")
      assert.strictEqual(r?.headers["dd-api-key"], "secret-key")
      assert.match(String(r?.headers["content-type"]), /^multipart\/form-data; boundary=/)
      assert.include(r?.text ?? "", `name="event"; filename="event.json"`)
      assert.include(r?.text ?? "", `"status":"EMITTING"`)
    }))

  it.scopedLive("closing the scope delivers what is queued and stops the uploader", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake()
      const scope = yield* Scope.make()
      const ctx = yield* Layer.buildWithScope(uploaderLayer(intake.url, { batch: { maxItems: 1024, maxBytes: 1 << 20, intervalMs: 60_000 } }), scope)
      const up = Layer.succeedContext(ctx)
      yield* Effect.gen(function*() {
        const u = yield* Uploader
        yield* u.offer(item(1))
        yield* u.offer(item(2))
      }).pipe(Effect.provide(up))
      yield* Scope.close(scope, Exit.void).pipe(Effect.timeout("5 seconds"))
      const reqs = yield* intake.all
      assert.strictEqual(reqs.reduce((n, r) => n + JSON.parse(r.text).length, 0), 2)
      // The HTTP client's keep-alive connections were closed with the scope.
      yield* intake.allClosed
      // The queue is shut down with the scope: further offers are interrupted, not silently queued.
      const late = yield* Effect.gen(function*() { return yield* (yield* Uploader).offer(item(3)) }).pipe(
        Effect.provide(up), Effect.exit)
      assert.isTrue(Exit.isFailure(late) || late.value === false)
    }))
})
