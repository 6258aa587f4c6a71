/**
 * Agent-side helper for agents written with this library: adopts the listeners and held client
 * connections a loader handed over (named by DD_* variables), validates each descriptor, clears the
 * variables so children do not inherit stale numbers, and owns everything in the caller's scope.
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import { Effect, Either, type Scope } from "effect"
import { InheritedFdError } from "../../services/loader/errors.js"
import { EnvNames, managedEnvNames } from "../../services/loader/HandoverPlan.js"
import { decodePrefixes } from "../../services/loader/PrefixStream.js"
import { parseInheritedFds } from "../../services/loader/InheritedFds.js"
import type { ListenerKind } from "../../services/loader/Policy.js"

export interface AdoptedListener {
  readonly kind: ListenerKind
  readonly fd: number
  readonly server: Net.Server
}

export interface AdoptedClient {
  readonly listener: ListenerKind
  readonly fd: number
  readonly socket: Net.Socket
}

export interface AdoptedSockets {
  readonly listeners: ReadonlyArray<AdoptedListener>
  readonly clients: ReadonlyArray<AdoptedClient>
  /** DD_LOADER_ACTIVATION_REASON, when started by a loader. */
  readonly reason: string | undefined
}

export interface AdoptOptions {
  /** Read, then cleared of the loader variables. Defaults to process.env. */
  readonly env?: Record<string, string | undefined>
  /** Servers to listen with (e.g. an http.Server); a plain net.Server otherwise. */
  readonly servers?: Partial<Record<ListenerKind, Net.Server>>
  /** Expected addresses: an adopted listener bound elsewhere is an error (loader and agent disagree). */
  readonly expect?: { readonly tcpPort?: number; readonly unixPath?: string; readonly otlpPort?: number }
}

const fdError = (variable: string, fd: number, message: string) =>
  new InheritedFdError({ variable, value: String(fd), message })

const checkSocket = (variable: string, fd: number) =>
  Effect.try({
    try: () => Fs.fstatSync(fd),
    catch: () => fdError(variable, fd, "descriptor is not open")
  }).pipe(
    Effect.filterOrFail((st) => st.isSocket(), () => fdError(variable, fd, "descriptor is not a socket"))
  )

const closeServer = (server: Net.Server) =>
  Effect.async<void>((resume) => {
    if (!server.listening) return resume(Effect.void)
    server.close(() => resume(Effect.void))
  }).pipe(Effect.interruptible, Effect.timeoutOption("2 seconds"), Effect.asVoid)

/** Upper bound of the prefix stream (one read buffer per held client is far below it). */
export const MAX_PREFIX_BYTES = 64 * 1024 * 1024

const readPrefixes = (fd: number) =>
  Effect.async<Buffer, InheritedFdError>((resume) => {
    const pipe = new Net.Socket({ fd, readable: true, writable: false })
    const chunks: Array<Buffer> = []
    let total = 0
    pipe.on("data", (d: Buffer) => {
      total += d.length
      if (total > MAX_PREFIX_BYTES) {
        pipe.destroy()
        resume(Effect.fail(fdError(EnvNames.prefixes, fd, `prefix stream larger than ${MAX_PREFIX_BYTES} bytes`)))
      } else chunks.push(d)
    })
    pipe.once("error", (e) => resume(Effect.fail(fdError(EnvNames.prefixes, fd, `cannot read: ${e.message}`))))
    pipe.once("end", () => {
      pipe.destroy()
      resume(Effect.succeed(Buffer.concat(chunks)))
    })
    return Effect.sync(() => pipe.destroy())
  }).pipe(
    Effect.timeoutFail({
      duration: "10 seconds",
      onTimeout: () => fdError(EnvNames.prefixes, fd, "the loader never finished the prefix stream")
    }),
    Effect.flatMap((data) =>
      Either.match(decodePrefixes(EnvNames.prefixes, data), { onLeft: Effect.fail, onRight: Effect.succeed })
    )
  )

export const adoptInheritedSockets = (
  options: AdoptOptions = {}
): Effect.Effect<AdoptedSockets, InheritedFdError, Scope.Scope> =>
  Effect.gen(function*() {
    const env = options.env ?? process.env
    const parsed = yield* Either.match(parseInheritedFds(env), { onLeft: Effect.fail, onRight: Effect.succeed })
    for (const name of managedEnvNames) delete env[name]

    const listeners: Array<AdoptedListener> = []
    for (const l of parsed.listeners) {
      yield* checkSocket(l.variable, l.fd)
      const server = yield* Effect.acquireRelease(
        Effect.sync(() => options.servers?.[l.kind] ?? Net.createServer()),
        closeServer
      )
      yield* Effect.async<void, InheritedFdError>((resume) => {
        const onError = (e: Error) => resume(Effect.fail(fdError(l.variable, l.fd, `cannot listen: ${e.message}`)))
        server.once("error", onError)
        server.listen({ fd: l.fd }, () => {
          server.off("error", onError)
          resume(Effect.void)
        })
      })
      const address = server.address()
      const isUnix = typeof address === "string"
      if ((l.kind === "unix") !== isUnix) {
        return yield* fdError(l.variable, l.fd, `expected a ${l.kind === "unix" ? "unix" : "TCP"} listener`)
      }
      const expected = l.kind === "tcp"
        ? options.expect?.tcpPort
        : l.kind === "otlp"
        ? options.expect?.otlpPort
        : options.expect?.unixPath
      const actual = typeof address === "string" ? address : address?.port
      if (expected !== undefined && actual !== expected) {
        return yield* fdError(l.variable, l.fd, `bound to ${actual}, expected ${expected}`)
      }
      listeners.push({ kind: l.kind, fd: l.fd, server })
    }

    const prefixes = parsed.prefixFd === undefined ? new Map<number, Buffer>() : yield* readPrefixes(parsed.prefixFd)
    const clients: Array<AdoptedClient> = []
    for (const c of parsed.clients) {
      yield* checkSocket(c.variable, c.fd)
      const socket = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const s = new Net.Socket({ fd: c.fd, readable: true, writable: true })
          s.on("error", () => {})
          // Bytes the loader already read go back in front of the connection.
          const prefix = prefixes.get(c.fd)
          if (prefix !== undefined && prefix.length > 0) s.unshift(prefix)
          return s
        }),
        (s) => Effect.sync(() => s.destroy())
      )
      clients.push({ listener: c.listener, fd: c.fd, socket })
    }
    return { listeners, clients, reason: parsed.reason }
  })

/** Serves the held clients with the server adopted for their listener (if any): call once handlers are set. */
export const serveHeldClients = (adopted: AdoptedSockets): Effect.Effect<void> =>
  Effect.sync(() => {
    for (const c of adopted.clients) {
      const l = adopted.listeners.find((x) => x.kind === c.listener)
      if (l !== undefined) l.server.emit("connection", c.socket)
    }
  })
