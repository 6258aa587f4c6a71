/**
 * Line inputs that are not files: a TCP listener (one line per log, any number of clients) and a readable
 * stream such as stdin. Lines are cut by the same line reader as files; nothing here is acknowledged
 * back to the client, so these inputs have no registry.
 */
import * as Net from "node:net"
import type { Readable } from "node:stream"
import { Clock, Data, Deferred, Effect, Exit, FiberSet } from "effect"
import { type InputLine, inputTags, type LineSink } from "../../services/inputs/InputLine.js"
import { readStreamLines } from "./LineReader.js"

export class InputListenError extends Data.TaggedError("InputListenError")<{
  readonly address: string
  readonly message: string
  readonly cause?: unknown
}> {}

interface TagOptions {
  readonly service?: string | undefined
  readonly source?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
}

/**
 * Reads lines from a readable until it ends (pull-based: it is not read while the sink is busy), through the
 * shared line reader. Does not close it. A read error fails with `InputReadError` naming the input.
 */
export const pumpReadable = (readable: Readable, input: TagOptions & { readonly name?: string | undefined }, sink: LineSink, maxLineBytes?: number) =>
  Effect.suspend(() => {
    const tags = inputTags(input)
    return readStreamLines(readable, input.name ?? "stdin", (lines) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        sink(lines.map((l): InputLine => ({ text: l.text, timestamp: now, tags })))), { maxLineBytes })
  })

/**
 * Serves a TCP line listener until the scope closes; returns the bound port. Connections are handled in a
 * FiberSet registered after the server, so they end (and their sockets are destroyed) before it closes.
 */
export const serveTcpInput = (options: TagOptions & { readonly host: string; readonly port: number }, sink: LineSink) =>
  Effect.gen(function*() {
    const server = yield* Effect.acquireRelease(
      Effect.sync(() => Net.createServer({ pauseOnConnect: true })),
      (s) => Effect.async<void>((resume) => { s.close(() => resume(Effect.void)) })
    )
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    const failed = yield* Deferred.make<never, InputListenError>()
    const address = `${options.host}:${options.port}`
    server.on("error", (cause) =>
      Deferred.unsafeDone(failed, Exit.fail(new InputListenError({ address, message: `TCP input ${address}: ${cause.message}`, cause }))))
    server.on("connection", (socket) => {
      socket.on("error", () => {})
      runFork(
        pumpReadable(socket, { ...options, name: `TCP input ${address} (${socket.remoteAddress}:${socket.remotePort})` }, sink).pipe(
          Effect.ensuring(Effect.sync(() => socket.destroy())),
          Effect.catchAllCause((cause) => Effect.logWarning("TCP input connection failed", cause))
        )
      )
      socket.resume()
    })
    yield* Effect.async<void>((resume) => {
      server.listen(options.port, options.host, () => resume(Effect.void))
    }).pipe(Effect.raceFirst(Deferred.await(failed)))
    const bound = server.address()
    return typeof bound === "object" && bound !== null ? bound.port : options.port
  })
