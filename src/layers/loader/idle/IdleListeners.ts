/**
 * The receiver sockets held while the loader idles, in plain Node: TCP, unix and OTLP listeners and
 * every connection they accept (paused, so their bytes stay in the kernel for the agent). No Effect
 * here: this is what an idle loader keeps in memory, and it must cost little more than Node itself.
 * Listeners.ts holds them for a loader embedded in an Effect program. File calls are synchronous: they run
 * once, at start-up, and an asynchronous one would start libuv's thread pool, which then holds ~1.5 MiB for the
 * loader's whole life.
 */
import * as Dns from "node:dns/promises"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import type { ListenerKind } from "../../../services/loader/Policy.js"

/** Why binding a listener failed (the fields of ListenerError, which the Effect side builds from it). */
export class BindFailure extends Error {
  constructor(
    readonly listener: ListenerKind,
    readonly reason: "Bind" | "NotASocket" | "RemoveStale" | "Rename" | "Chmod" | "Descriptor",
    readonly address: string,
    message: string
  ) {
    super(message)
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * Raw descriptor of a Node server or socket. Node has no public API for it; libuv stream handles expose
 * `fd` on Linux and macOS (`_handle.fd`), which is what spawn's stdio slots and fstat need.
 */
export const fdOf = (h: Net.Server | Net.Socket): number | undefined => {
  const fd = (h as unknown as { readonly _handle?: { readonly fd?: unknown } | null })._handle?.fd
  return typeof fd === "number" && Number.isInteger(fd) && fd >= 0 ? fd : undefined
}

/** `localhost` is resolved explicitly to IPv4, as the trace agent does, instead of resolver order. */
export const resolveHost = async (host: string): Promise<string> => {
  if (host === "localhost") return "127.0.0.1"
  if (Net.isIP(host) !== 0) return host
  try {
    return (await Dns.lookup(host, { order: "ipv4first" })).address
  } catch (e) {
    throw new BindFailure("tcp", "Bind", host, `cannot resolve: ${message(e)}`)
  }
}

const listen = (server: Net.Server, options: Net.ListenOptions) =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options, () => {
      server.off("error", reject)
      resolve()
    })
  })

/** Closes a server (when listening); resolves on its close callback. */
export const closeServer = (server: Net.Server): Promise<void> =>
  new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))

/** Listens on host:port with `server` (the caller's, which closes it). */
export const bindTcp = async (server: Net.Server, kind: "tcp" | "otlp", host: string, port: number): Promise<void> => {
  try {
    await listen(server, { host, port })
  } catch (e) {
    throw new BindFailure(kind, "Bind", `${host}:${port}`, message(e))
  }
}

/**
 * Removes `file` when it is a unix socket (a stale one); a missing file is fine, anything else is a failure
 * of the listener at `address`.
 */
const removeStaleSocket = (file: string, address: string, what: string) => {
  let stat: Fs.Stats
  try {
    stat = Fs.lstatSync(file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return
    throw new BindFailure("unix", "RemoveStale", address, message(e))
  }
  if (!stat.isSocket()) throw new BindFailure("unix", "NotASocket", address, `cannot reuse ${JSON.stringify(file)}; not a unix socket`)
  try {
    Fs.unlinkSync(file)
  } catch (e) {
    throw new BindFailure("unix", "RemoveStale", address, `unable to remove stale ${what}: ${message(e)}`)
  }
}

/**
 * Listens on the unix socket `path` with `server` (the caller's, which closes it): a stale socket there is
 * replaced, the mode is 0722.
 * Bound under a temporary name, then renamed: closing a unix server in Node unlinks the name it was
 * bound to, and the real path must survive the loader handing the socket over.
 */
export const bindUnix = async (server: Net.Server, path: string): Promise<void> => {
  removeStaleSocket(path, path, "socket")
  const temp = Path.join(Path.dirname(path), `.${Path.basename(path)}.${process.pid}.tmp`)
  // A loader that died between bind and rename leaves its temporary socket behind, and a restarted
  // container often reuses the pid: remove it, or the bind fails with EADDRINUSE.
  removeStaleSocket(temp, path, "temporary socket")
  try {
    await listen(server, { path: temp })
  } catch (e) {
    throw new BindFailure("unix", "Bind", path, message(e))
  }
  try {
    Fs.renameSync(temp, path)
  } catch (e) {
    throw new BindFailure("unix", "Rename", path, message(e))
  }
  try {
    Fs.chmodSync(path, 0o722)
  } catch (e) {
    throw new BindFailure("unix", "Chmod", path, `error setting socket permissions: ${message(e)}`)
  }
}

/** Whether the unix socket's directory exists (Datadog skips the unix listener otherwise). */
export const directoryExists = (dir: string): boolean => Fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true

/** What the idle phase needs of the configuration (a subset of LoaderConfig, plain values). */
export interface ListenConfig {
  readonly receiverHost: string
  /** <= 0 disables the TCP receiver. */
  readonly receiverPort: number
  /** Empty disables the unix receiver. */
  readonly receiverSocket: string
  readonly otlpPort: number | undefined
}

export interface HeldListener {
  readonly kind: ListenerKind
  /** host:port or socket path, for logs. */
  readonly address: string
  readonly server: Net.Server
  readonly fd: number
}

export interface HeldConnection {
  readonly id: number
  readonly listener: ListenerKind
  readonly socket: Net.Socket
  readonly fd: number
}

export type HolderEvent =
  | { readonly _tag: "Accepted"; readonly conn: HeldConnection }
  | { readonly _tag: "ListenerFailed"; readonly detail: string }

export interface Holder {
  readonly listeners: ReadonlyArray<HeldListener>
  /** Accepted connections still held, in accept order. */
  readonly held: () => ReadonlyArray<HeldConnection>
  /**
   * Delivers events to `f`, first those that arrived before (while the other listeners were being bound).
   * One subscriber; events after `relinquish` or `close` are not delivered.
   */
  readonly subscribe: (f: (e: HolderEvent) => void) => void
  /** Closes a held connection (a probe). */
  readonly drop: (id: number) => void
  /**
   * Closes every listener and held connection in this process at once, synchronously. Called right after the
   * agent was spawned with copies of them, so no connection is accepted in between.
   */
  readonly relinquish: () => void
  /** Closes everything (held connections first); resolves when the listeners are closed. Idempotent. */
  readonly close: () => Promise<void>
}

export interface HolderLog {
  readonly info: (line: string) => void
  readonly error: (line: string) => void
}

/** Binds the configured listeners; on any failure closes those already bound and rejects with a BindFailure. */
export const holdListeners = async (config: ListenConfig, log: HolderLog): Promise<Holder> => {
  const held = new Map<number, HeldConnection>()
  const servers: Array<Net.Server> = []
  const early: Array<HolderEvent> = []
  let deliver: ((e: HolderEvent) => void) | undefined
  let nextId = 1
  let closed = false
  const emit = (e: HolderEvent) => {
    if (closed) return
    if (deliver !== undefined) deliver(e)
    else early.push(e) // bounded by what arrives while the listeners are being bound
  }

  const makeServer = (kind: ListenerKind) => {
    const server = Net.createServer({ pauseOnConnect: true })
    server.on("error", (e) => emit({ _tag: "ListenerFailed", detail: `${kind} listener: ${message(e)}` }))
    server.on("connection", (socket) => {
      socket.on("error", () => {}) // a reset before handover is classified, not thrown
      if (closed) return void socket.destroy()
      const fd = fdOf(socket)
      if (fd === undefined) {
        socket.destroy()
        return emit({ _tag: "ListenerFailed", detail: `${kind} connection has no open file descriptor` })
      }
      const conn: HeldConnection = { id: nextId++, listener: kind, socket, fd }
      held.set(conn.id, conn)
      emit({ _tag: "Accepted", conn })
    })
    servers.push(server)
    return server
  }

  const destroyHeld = () => {
    for (const c of held.values()) c.socket.destroy()
    held.clear()
  }
  const close = () => {
    closed = true
    destroyHeld()
    return Promise.all(servers.map(closeServer)).then(() => {})
  }

  const listeners: Array<HeldListener> = []
  const add = (kind: ListenerKind, address: string, server: Net.Server) => {
    const fd = fdOf(server)
    if (fd === undefined) throw new BindFailure(kind, "Descriptor", address, `${kind} listener has no open file descriptor`)
    listeners.push({ kind, address, server, fd })
  }
  const listenTcp = async (kind: "tcp" | "otlp", port: number) => {
    const host = await resolveHost(config.receiverHost)
    const server = makeServer(kind)
    await bindTcp(server, kind, host, port)
    add(kind, `${host}:${port}`, server)
  }
  try {
    if (config.receiverPort > 0) {
      log.info(`Listening to TCP receiver at port ${config.receiverPort}...`)
      await listenTcp("tcp", config.receiverPort)
    } else {
      log.info("Trace-agent TCP receiver is disabled")
    }
    if (config.receiverSocket !== "") {
      const dir = Path.dirname(config.receiverSocket)
      if (!directoryExists(dir)) {
        log.error(`Could not start UDS listener: socket directory does not exist: ${dir}`)
      } else {
        log.info(`Listening to unix receiver at path ${config.receiverSocket}`)
        const server = makeServer("unix")
        await bindUnix(server, config.receiverSocket)
        add("unix", config.receiverSocket, server)
      }
    } else {
      log.info("Trace-agent unix receiver is disabled")
    }
    if (config.otlpPort !== undefined) {
      log.info(`Listening to otlp port ${config.otlpPort}`)
      await listenTcp("otlp", config.otlpPort)
    } else {
      log.info("Trace-agent OTLP receiver is disabled")
    }
  } catch (e) {
    await close()
    throw e
  }

  return {
    listeners,
    held: () => [...held.values()],
    subscribe: (f) => {
      deliver = f
      for (const e of early.splice(0)) f(e)
    },
    drop: (id) => {
      const c = held.get(id)
      if (c === undefined) return
      held.delete(id)
      c.socket.destroy()
    },
    relinquish: () => {
      if (closed) return
      closed = true
      destroyHeld()
      for (const s of servers) if (s.listening) s.close()
    },
    close
  }
}
