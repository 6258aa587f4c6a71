/** A scoped local HTTP intake on 127.0.0.1:0 that records requests and answers scripted statuses. */
import * as http from "node:http"
import * as zlib from "node:zlib"
import { Effect, Queue } from "effect"

export interface Received {
  readonly url: URL
  readonly headers: http.IncomingHttpHeaders
  /** Decompressed body text. */
  readonly text: string
  readonly status: number
}

export interface IntakeOptions {
  /** Status for the n-th request (0-based) to `url`; default 200. */
  readonly status?: (n: number, url: URL) => number
  /** Held until resolved before answering (per request). */
  readonly gate?: (n: number) => Promise<void>
}

export const startIntake = (options: IntakeOptions = {}) =>
  Effect.gen(function*() {
    const received = yield* Queue.unbounded<Received>()
    const arrived = yield* Queue.unbounded<number>()
    const closed = yield* Queue.unbounded<void>()
    let open = 0
    const all: Array<Received> = []
    let n = 0
    const server = yield* Effect.acquireRelease(
      Effect.async<http.Server>((resume) => {
        const s = http.createServer((req, res) => {
          const i = n++
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            const raw = Buffer.concat(chunks)
            const text = (req.headers["content-encoding"] === "gzip" ? zlib.gunzipSync(raw) : raw).toString("utf8")
            const url = new URL(req.url ?? "/", "http://127.0.0.1")
            const status = options.status?.(i, url) ?? 200
            arrived.unsafeOffer(i)
            const r: Received = { url, headers: req.headers, text, status }
            void (options.gate?.(i) ?? Promise.resolve()).then(() => {
              res.writeHead(status).end(status === 200 ? "{}" : "nope")
              all.push(r)
              received.unsafeOffer(r)
            })
          })
        })
        s.on("connection", (socket) => {
          open++
          socket.on("close", () => {
            open--
            closed.unsafeOffer(undefined)
          })
        })
        s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) =>
        Effect.async<void>((resume) => {
          s.closeAllConnections()
          s.close(() => resume(Effect.void))
        })
    )
    const port = (server.address() as { port: number }).port
    return {
      url: `http://127.0.0.1:${port}/debugger/v2/input`,
      server,
      all: Effect.sync(() => [...all]),
      /** Completes once every client connection has been closed (bounded wait). */
      allClosed: Effect.gen(function*() {
        while (open > 0) yield* Queue.take(closed)
      }).pipe(Effect.timeout("5 seconds")),
      /** Index of the next request to reach the server, answered or not (bounded wait). */
      nextArrival: Queue.take(arrived).pipe(Effect.timeout("5 seconds")),
      /** The next answered request (bounded wait). */
      next: Queue.take(received).pipe(Effect.timeout("5 seconds"))
    }
  })
