/**
 * The held receiver sockets: TCP, unix and OTLP listeners bound by the loader, and every connection
 * they accept (Node accepts all of them; each is paused so its bytes stay in the kernel for the agent).
 */
import * as Dns from "node:dns/promises"
import * as Fs from "node:fs/promises"
import * as Net from "node:net"
import * as Path from "node:path"
import { Data, Effect, Either, Option, Queue, type Scope } from "effect"
import type { LoaderConfig } from "../../services/loader/Config.js"
import { ListenerError } from "../../services/loader/errors.js"
import type { ListenerKind } from "../../services/loader/Policy.js"
import { handleFd } from "./HandleFd.js"

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

/** `localhost` is resolved explicitly to IPv4, as the trace agent does, instead of resolver order. */
export const resolveHost = (host: string): Effect.Effect<string, ListenerError> => {
  if (host === "localhost") return Effect.succeed("127.0.0.1")
  if (Net.isIP(host) !== 0) return Effect.succeed(host)
  return Effect.tryPromise({
    try: () => Dns.lookup(host, { order: "ipv4first" }),
    catch: (e) =>
      new ListenerError({ listener: "tcp", reason: "Bind", address: host, message: `cannot resolve: ${message(e)}` })
  }).pipe(Effect.map((r) => r.address))
}

const listen = (server: Net.Server, options: Net.ListenOptions) =>
  Effect.async<void, Error>((resume) => {
    const onError = (e: Error) => resume(Effect.fail(e))
    server.once("error", onError)
    server.listen(options, () => {
      server.off("error", onError)
      resume(Effect.void)
    })
  })

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
        yield* listen(server, { host, port }).pipe(
          Effect.mapError((e) => new ListenerError({ listener: kind, reason: "Bind", address, message: message(e) }))
        )
        return yield* withFd(kind, address, server)
      })

    const bindUnix = (path: string) =>
      Effect.gen(function*() {
        const fail = (reason: ListenerError["reason"], msg: string) =>
          new ListenerError({ listener: "unix", reason, address: path, message: msg })
        /** The entry at `p`, or none when there is no such file. */
        const lstatIfAny = (p: string) =>
          Effect.tryPromise({
            try: () => Fs.lstat(p).catch((e: NodeJS.ErrnoException) => e.code === "ENOENT" ? undefined : Promise.reject(e)),
            catch: (e) => fail("RemoveStale", message(e))
          }).pipe(Effect.map(Option.fromNullable))
        const existing = yield* lstatIfAny(path)
        if (Option.isSome(existing)) {
          if (!existing.value.isSocket()) return yield* Effect.fail(fail("NotASocket", `cannot reuse ${JSON.stringify(path)}; not a unix socket`))
          yield* Effect.tryPromise({
            try: () => Fs.unlink(path),
            catch: (e) => fail("RemoveStale", `unable to remove stale socket: ${message(e)}`)
          })
        }
        // Bound under a temporary name, then renamed: closing a unix server in Node unlinks the
        // name it was bound to, and the real path must survive the loader handing the socket over.
        const temp = Path.join(Path.dirname(path), `.${Path.basename(path)}.${process.pid}.tmp`)
        // A loader that died between bind and rename leaves its temporary socket behind, and a restarted
        // container often reuses the pid: remove it, or the bind fails with EADDRINUSE.
        const leftover = yield* lstatIfAny(temp)
        if (Option.isSome(leftover)) {
          if (!leftover.value.isSocket()) {
            return yield* Effect.fail(fail("NotASocket", `cannot reuse ${JSON.stringify(temp)}; not a unix socket`))
          }
          yield* Effect.tryPromise({
            try: () => Fs.unlink(temp),
            catch: (e) => fail("RemoveStale", `unable to remove stale temporary socket: ${message(e)}`)
          })
        }
        const server = yield* makeServer("unix")
        yield* listen(server, { path: temp }).pipe(Effect.mapError((e) => fail("Bind", message(e))))
        yield* Effect.tryPromise({ try: () => Fs.rename(temp, path), catch: (e) => fail("Rename", message(e)) })
        yield* Effect.tryPromise({
          try: () => Fs.chmod(path, 0o722),
          catch: (e) => fail("Chmod", `error setting socket permissions: ${message(e)}`)
        })
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
      const dirOk = yield* Effect.promise(() => Fs.stat(dir).then((s) => s.isDirectory(), () => false))
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
