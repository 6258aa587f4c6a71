import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Exit, Metric, Redacted, Scope } from "effect"
import { serveStatus } from "../../src/layers/status/StatusServer.js"

const get = (opts: Http.RequestOptions) =>
  Effect.async<{ status: number; type: string; body: string }, Error>((resume) => {
    const req = Http.get(opts, (res) => {
      let body = ""
      res.on("data", (d) => { body += String(d) })
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body })))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
  })

describe("status server", () => {
  it.live("serves /status JSON and /metrics OpenMetrics on loopback, and frees the port on close", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("dd_test_status_requests_total", { description: "a test counter" }).pipe(Metric.tagged("kind", "unit"))
      yield* Metric.incrementBy(counter, 3)
      const gauge = Metric.gauge("dd_test_status_inflight")
      yield* Metric.set(gauge, 7)
      const scope = yield* Scope.make()
      const server = yield* Scope.extend(serveStatus({ host: "127.0.0.1", port: 0 }, Effect.succeed({ logs: { state: "active" } })), scope)
      const status = yield* get({ host: "127.0.0.1", port: server.port, path: "/status" })
      assert.strictEqual(status.status, 200)
      assert.deepStrictEqual(JSON.parse(status.body), { logs: { state: "active" } })
      const metrics = yield* get({ host: "127.0.0.1", port: server.port, path: "/metrics" })
      assert.match(metrics.type, /application\/openmetrics-text/)
      assert.include(metrics.body, "# TYPE dd_test_status_requests counter\n# HELP dd_test_status_requests a test counter\n")
      assert.include(metrics.body, "dd_test_status_requests_total{kind=\"unit\"} 3\n")
      assert.include(metrics.body, "# TYPE dd_test_status_inflight gauge\ndd_test_status_inflight 7\n")
      assert.isTrue(metrics.body.endsWith("# EOF\n"))
      assert.strictEqual((yield* get({ host: "127.0.0.1", port: server.port, path: "/nope" })).status, 404)
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.either(get({ host: "127.0.0.1", port: server.port, path: "/status" }))
      assert.strictEqual(after._tag, "Left")
    }))

  it.live("serves on a unix socket, replaces a stale socket, refuses a regular file, removes its socket on close", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "status-"))
      const file = Path.join(dir, "not-a-socket")
      Fs.writeFileSync(file, "x")
      const refused = yield* Effect.either(Effect.scoped(serveStatus({ socket: file }, Effect.succeed({}))))
      assert.strictEqual(refused._tag === "Left" && refused.left.message, `${file} exists and is not a socket`)
      const socket = Path.join(dir, "status.sock")
      yield* Effect.scoped(serveStatus({ socket }, Effect.succeed({ n: 1 }))) // leaves nothing behind
      assert.isFalse(Fs.existsSync(socket))
      const scope = yield* Scope.make()
      yield* Scope.extend(serveStatus({ socket }, Effect.succeed({ n: 2 })), scope)
      const res = yield* get({ socketPath: socket, path: "/status" })
      assert.deepStrictEqual(JSON.parse(res.body), { n: 2 })
      yield* Scope.close(scope, Exit.void)
      assert.isFalse(Fs.existsSync(socket))
    }))

  it.live("with an auth token, answers only requests that present it", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const token = Redacted.make("a-long-enough-status-token")
      const server = yield* Scope.extend(serveStatus({ host: "127.0.0.1", port: 0 }, Effect.succeed({ ok: true }), token), scope)
      assert.strictEqual((yield* get({ host: "127.0.0.1", port: server.port, path: "/status" })).status, 401)
      assert.strictEqual((yield* get({ host: "127.0.0.1", port: server.port, path: "/metrics", headers: { authorization: "Bearer wrong" } })).status, 401)
      const ok = yield* get({ host: "127.0.0.1", port: server.port, path: "/status", headers: { authorization: `Bearer ${Redacted.value(token)}` } })
      assert.deepStrictEqual([ok.status, JSON.parse(ok.body)], [200, { ok: true }])
      yield* Scope.close(scope, Exit.void)
    }))
})

