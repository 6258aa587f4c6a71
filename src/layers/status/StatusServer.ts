/**
 * The local status endpoint: `/status` (JSON from the agent's components) and `/metrics` (OpenMetrics text of
 * every Effect metric), on a loopback port or a unix socket. Scoped: request fibers live in a FiberSet that
 * closes before the server, and the socket file is removed only if this server created it.
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Http from "node:http"
import { Data, Deferred, Effect, Exit, FiberSet, Metric, Redacted } from "effect"
import { renderOpenMetrics } from "../../services/status/OpenMetrics.js"

export class StatusListenError extends Data.TaggedError("StatusListenError")<{
  readonly address: string
  readonly message: string
  readonly cause?: unknown
}> {}

export type StatusAddress = { readonly host: string; readonly port: number } | { readonly socket: string }

export interface StatusServer {
  /** `127.0.0.1:PORT` or the socket path. */
  readonly address: string
  readonly port: number | undefined
}

/** Whether `header` is `Bearer TOKEN` for this token (compared in constant time). */
const authorized = (token: Redacted.Redacted<string>, header: string | undefined) => {
  const expected = Buffer.from(`Bearer ${Redacted.value(token)}`)
  const got = Buffer.from(header ?? "")
  return got.length === expected.length && Crypto.timingSafeEqual(got, expected)
}

/**
 * Serves `/status` and `/metrics` at `where`. With `authToken`, every request must present it as
 * `Authorization: Bearer TOKEN` (401 otherwise).
 */
export const serveStatus = (where: StatusAddress, status: Effect.Effect<unknown>, authToken?: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const label = "socket" in where ? where.socket : `${where.host}:${where.port}`
    if ("socket" in where && Fs.existsSync(where.socket)) {
      if (!Fs.statSync(where.socket).isSocket()) {
        return yield* new StatusListenError({ address: label, message: `${label} exists and is not a socket` })
      }
      Fs.unlinkSync(where.socket) // stale socket from an earlier run
    }
    const server = yield* Effect.acquireRelease(
      Effect.sync(() => Http.createServer()),
      (s) =>
        Effect.async<void>((resume) => {
          s.close(() => resume(Effect.void))
          s.closeAllConnections()
        }).pipe(Effect.ensuring(Effect.sync(() => {
          if ("socket" in where && Fs.existsSync(where.socket)) Fs.unlinkSync(where.socket)
        })))
    )
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    const failed = yield* Deferred.make<never, StatusListenError>()
    server.on("error", (cause) =>
      Deferred.unsafeDone(failed, Exit.fail(new StatusListenError({ address: label, message: `status server ${label}: ${cause.message}`, cause }))))
    server.on("request", (req, res) => {
      const reply = (code: number, type: string, body: string) =>
        Effect.sync(() => {
          res.writeHead(code, { "content-type": type, "cache-control": "no-store" })
          res.end(body)
        })
      const path = (req.url ?? "/").split("?")[0]
      const handle = authToken !== undefined && !authorized(authToken, req.headers.authorization)
        ? reply(401, "text/plain", "unauthorized: send Authorization: Bearer TOKEN (status.auth_token)\n")
        : req.method !== "GET"
        ? reply(405, "text/plain", "method not allowed\n")
        : path === "/status"
        ? Effect.flatMap(status, (s) => reply(200, "application/json", JSON.stringify(s, null, 2) + "\n"))
        : path === "/metrics"
        ? Effect.flatMap(Metric.snapshot, (snap) =>
          reply(200, "application/openmetrics-text; version=1.0.0; charset=utf-8", renderOpenMetrics(snap)))
        : reply(404, "text/plain", "not found: try /status or /metrics\n")
      runFork(handle.pipe(Effect.catchAllCause((cause) => reply(500, "text/plain", "status failed\n").pipe(Effect.zipRight(Effect.logWarning("status request failed", cause))))))
    })
    yield* Effect.async<void>((resume) => {
      if ("socket" in where) server.listen(where.socket, () => resume(Effect.void))
      else server.listen(where.port, where.host, () => resume(Effect.void))
    }).pipe(Effect.raceFirst(Deferred.await(failed)))
    const bound = server.address()
    const port = typeof bound === "object" && bound !== null ? bound.port : undefined
    return { address: port === undefined ? label : `${"host" in where ? where.host : "127.0.0.1"}:${port}`, port } satisfies StatusServer
  })
