/**
 * The held receiver sockets: TCP, unix and OTLP listeners bound by the loader, and every connection
 * they accept (Node accepts all of them; each is paused so its bytes stay in the kernel for the agent).
 * The Effect listener set, for loaders embedded in an Effect program; binding is the idle phase's
 * (idle/IdleListeners.ts), which the CLI's loader holds the sockets with.
 */
import * as Net from "node:net"
import * as Path from "node:path"
import { Data, Effect, Either, Option, Queue, type Scope } from "effect"
import type { LoaderConfig } from "../../services/loader/Config.js"
import { ListenerError } from "../../services/loader/errors.js"
import type { ListenerKind } from "../../services/loader/Policy.js"
import { handleFd } from "./HandleFd.js"
import {
  bindTcp as listenTcp,
  BindFailure,
  bindUnix as listenUnix,
  directoryExists,
  resolveHost as resolveHostName
} from "./idle/IdleListeners.js"

export interface BoundListener {
  readonly kind: ListenerKind
  /** host:port or socket path, for logs. */
  readonly address: string
  readonly server: Net.Server
  readonly fd: number
}

export interface AcceptedConnection {
  readonly id: number
  readonly listener: ListenerKind
  readonly socket: Net.Socket
  readonly fd: number
}

export type ListenerEvent = Data.TaggedEnum<{
  Accepted: { readonly conn: AcceptedConnection }
  ListenerFailed: { readonly detail: string }
}>
export const ListenerEvent = Data.taggedEnum<ListenerEvent>()

export interface ListenerSet {
  readonly listeners: ReadonlyArray<BoundListener>
  /** Accepted connections and listener failures, in order. Bounded; see `overflowed`. */
  readonly events: Queue.Dequeue<ListenerEvent>
  /** Accepted connections still held in this process, in accept order. */
  readonly held: () => ReadonlyArray<AcceptedConnection>
  /** Events lost to a full queue (their connections are still held). */
  readonly overflowed: () => number
  /** Closes a held connection (a probe). */
  readonly drop: (id: number) => Effect.Effect<void>
  /**
   * Closes every listener and held connection in this process at once, synchronously. Called right
   * after the agent was spawned with copies of them, so no connection is accepted in between.
   */
  readonly relinquish: () => void
}

export const EVENT_QUEUE_CAPACITY = 1024

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

const listenerError = (listener: ListenerKind, address: string) => (e: unknown): ListenerError =>
  e instanceof BindFailure
    ? new ListenerError({ listener: e.listener, reason: e.reason, address: e.address, message: e.message })
    : new ListenerError({ listener, reason: "Bind", address, message: message(e) })

/** `localhost` is resolved explicitly to IPv4, as the trace agent does, instead of resolver order. */
export const resolveHost = (host: string): Effect.Effect<string, ListenerError> =>
  Effect.tryPromise({ try: () => resolveHostName(host), catch: listenerError("tcp", host) })

/** Closes a server once; waiting for its close callback is bounded. */
const closeServer = (server: Net.Server) =>
  Effect.async<void>((resume) => {
    if (!server.listening) return resume(Effect.void)
    server.close(() => resume(Effect.void))
  }).pipe(Effect.interruptible, Effect.timeoutOption("2 seconds"), Effect.asVoid)

export interface ListenerHooks {
  readonly onInfo: (line: string) => Effect.Effect<void>
  readonly onError: (line: string) => Effect.Effect<void>
}

/** Binds the configured listeners in the caller's scope. Any failure closes those already bound. */
export const openListeners = (
  config: LoaderConfig,
  hooks: ListenerHooks
): Effect.Effect<ListenerSet, ListenerError, Scope.Scope> =>
  Effect.gen(function*() {
    const events = yield* Effect.acquireRelease(Queue.bounded<ListenerEvent>(EVENT_QUEUE_CAPACITY), Queue.shutdown)
    const held = new Map<number, AcceptedConnection>()
    const servers: Array<Net.Server> = []
    let nextId = 1
    let relinquished = false

    let overflowed = 0
    const push = (e: ListenerEvent) => {
      // A full queue means a flood: the connection stays held (it is handed over) and the driver,
      // seeing `overflowed`, starts the agent.
      if (!Queue.unsafeOffer(events, e)) overflowed++
    }

    const makeServer = (kind: ListenerKind) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const server = Net.createServer({ pauseOnConnect: true })
          server.on("error", (e) => push(ListenerEvent.ListenerFailed({ detail: `${kind} listener: ${message(e)}` })))
          server.on("connection", (socket) => {
            socket.on("error", () => {}) // a reset before handover is classified, not thrown
            if (relinquished) return void socket.destroy()
            const fd = handleFd(`${kind} connection`, socket)
            if (Either.isLeft(fd)) return push(ListenerEvent.ListenerFailed({ detail: fd.left.message }))
            const conn: AcceptedConnection = { id: nextId++, listener: kind, socket, fd: fd.right }
            held.set(conn.id, conn)
            push(ListenerEvent.Accepted({ conn }))
          })
          servers.push(server)
          return server
        }),
        closeServer
      )

    const withFd = (kind: ListenerKind, address: string, server: Net.Server) =>
      Either.match(handleFd(`${kind} listener`, server), {
        onLeft: (e) =>
          Effect.fail(
            new ListenerError({ listener: kind, reason: "Descriptor", address, message: e.message })
          ),
        onRight: (fd): Effect.Effect<BoundListener, ListenerError> => Effect.succeed({ kind, address, server, fd })
      })

    const bindTcp = (kind: "tcp" | "otlp", host: string, port: number) =>
      Effect.gen(function*() {
        const address = `${host}:${port}`
        const server = yield* makeServer(kind)
        yield* Effect.tryPromise({ try: () => listenTcp(server, kind, host, port), catch: listenerError(kind, address) })
        return yield* withFd(kind, address, server)
      })

    const bindUnix = (path: string) =>
      Effect.gen(function*() {
        const server = yield* makeServer("unix")
        yield* Effect.tryPromise({ try: () => listenUnix(server, path), catch: listenerError("unix", path) })
        return yield* withFd("unix", path, server)
      })

    const listeners: Array<BoundListener> = []
    if (config.receiverPort > 0) {
      yield* hooks.onInfo(`Listening to TCP receiver at port ${config.receiverPort}...`)
      const host = yield* resolveHost(config.receiverHost)
      listeners.push(yield* bindTcp("tcp", host, config.receiverPort))
    } else {
      yield* hooks.onInfo("Trace-agent TCP receiver is disabled")
    }
    if (config.receiverSocket !== "") {
      const dir = Path.dirname(config.receiverSocket)
      const dirOk = directoryExists(dir)
      if (!dirOk) {
        yield* hooks.onError(`Could not start UDS listener: socket directory does not exist: ${dir}`)
      } else {
        yield* hooks.onInfo(`Listening to unix receiver at path ${config.receiverSocket}`)
        listeners.push(yield* bindUnix(config.receiverSocket))
      }
    } else {
      yield* hooks.onInfo("Trace-agent unix receiver is disabled")
    }
    if (Option.isSome(config.otlpPort)) {
      yield* hooks.onInfo(`Listening to otlp port ${config.otlpPort.value}`)
      const host = yield* resolveHost(config.receiverHost)
      listeners.push(yield* bindTcp("otlp", host, config.otlpPort.value))
    } else {
      yield* hooks.onInfo("Trace-agent OTLP receiver is disabled")
    }

    // Registered after the servers, so it runs before them: held connections close first.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const c of held.values()) c.socket.destroy()
        held.clear()
      })
    )

    const relinquish = () => {
      if (relinquished) return
      relinquished = true
      for (const c of held.values()) c.socket.destroy()
      held.clear()
      for (const s of servers) if (s.listening) s.close()
    }

    return {
      listeners,
      events,
      held: () => [...held.values()],
      overflowed: () => overflowed,
      drop: (id) =>
        Effect.sync(() => {
          const c = held.get(id)
          if (c === undefined) return
          held.delete(id)
          c.socket.destroy()
        }),
      relinquish
    } satisfies ListenerSet
  })
