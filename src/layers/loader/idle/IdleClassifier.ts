/**
 * Classifiers of held connections for the idle phase, in plain Node (no Effect): the Linux /proc reader,
 * which never touches the connection's bytes, and the portable reading classifier. Both report through a
 * callback, once per watched connection, and stop when asked.
 */
import * as Fs from "node:fs"
import type * as Net from "node:net"
import { Classification } from "../../../services/loader/Policy.js"
import { decidedConnections } from "../../../services/loader/ProcNetTcp.js"

/** Closed, Data or Unknown (never Idle); Failed when the classifier itself broke. */
export type Verdict = Classification | { readonly _tag: "Failed"; readonly detail: string }

export interface WatchedConnection {
  readonly id: number
  /** The connection's descriptor in this process. */
  readonly fd: number
  readonly socket: Net.Socket
}

export interface IdleClassifier {
  /** Watches a held connection; `done` runs once, asynchronously. Returns the function that stops watching. */
  readonly watch: (conn: WatchedConnection, done: (v: Verdict) => void) => () => void
  /** Stops every watch and timer. */
  readonly close: () => void
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

export interface ProcNetSources {
  /** The text of every table to consult (tcp and tcp6). */
  readonly readTables: () => Promise<ReadonlyArray<string>>
  /** Socket inode of a descriptor in this process. */
  readonly inodeOf: (fd: number) => number
}

/**
 * This process's view of the kernel TCP tables and fstat inodes. Read synchronously: a read blocks the loop for
 * the kernel's walk of its table (a few ms, only while a connection is held), where an asynchronous one would
 * start libuv's thread pool, which then holds ~1.5 MiB for the loader's whole life.
 */
export const liveProcNetSources: ProcNetSources = {
  readTables: async () =>
    ["/proc/self/net/tcp", "/proc/self/net/tcp6"].map((p) => {
      try {
        return Fs.readFileSync(p, "latin1")
      } catch (e) {
        throw new Error(`cannot read ${p}: ${message(e)}`)
      }
    }),
  inodeOf: (fd) => Fs.fstatSync(fd).ino
}

/**
 * One read of the tables per tick serves every held connection; ticks back off from `firstMs` to `maxMs` and
 * restart at `firstMs` when a new connection is held, because the kernel walks its whole connection table on
 * each read (~4 ms of system time). Nothing is read while nothing is held.
 */
export const procNetClassifier = (sources: ProcNetSources = liveProcNetSources, firstMs = 1, maxMs = 1000): IdleClassifier => {
  const pending = new Map<number, { readonly inode: number; readonly done: (v: Verdict) => void }>()
  let timer: NodeJS.Timeout | undefined
  let delay = firstMs
  let reading = false
  let woken = false
  let closed = false

  const schedule = () => {
    timer = setTimeout(() => void tick(), delay)
  }
  const tick = async () => {
    timer = undefined
    reading = true
    woken = false
    let texts: ReadonlyArray<string>
    try {
      texts = await sources.readTables()
    } catch (e) {
      reading = false
      const all = [...pending.values()]
      pending.clear()
      for (const p of all) p.done({ _tag: "Failed", detail: message(e) })
      return
    }
    reading = false
    if (closed) return
    const inodes = [...pending].map(([id, p]) => [id, p.inode] as const)
    for (const [id, verdict] of decidedConnections(texts, inodes)) {
      const p = pending.get(id)
      if (p === undefined) continue // stopped by an earlier verdict's consequences
      pending.delete(id)
      p.done(verdict)
    }
    if (pending.size === 0) return
    // A connection held during the read gets its first look quickly.
    delay = woken ? firstMs : Math.min(delay * 2, maxMs)
    schedule()
  }

  return {
    watch: (conn, done) => {
      let inode: number
      try {
        inode = sources.inodeOf(conn.fd)
      } catch (e) {
        queueMicrotask(() => done({ _tag: "Failed", detail: `cannot stat descriptor ${conn.fd}: ${message(e)}` }))
        return () => {}
      }
      pending.set(conn.id, { inode, done })
      if (reading) woken = true
      else if (timer === undefined || delay > firstMs) {
        // A new connection cuts a long backoff short; at the shortest delay the next tick is already due.
        clearTimeout(timer)
        delay = firstMs
        schedule()
      }
      return () => void pending.delete(conn.id)
    },
    close: () => {
      closed = true
      clearTimeout(timer)
      pending.clear()
    }
  }
}

/** A reset or broken connection is a probe that closed, not an error (Datadog treats it as one). */
const CLOSED_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT"])

/**
 * Starts reading `socket` and looks at what Node buffered, without taking it out of the buffer; `done` gets
 * Data, Closed or Unknown. The bytes are no longer in the kernel, so the handover drains them (drainBuffered)
 * and passes them to the agent as a prefix. Returns the function that stops watching.
 */
export const watchReading = (socket: Net.Socket, done: (c: Classification) => void): () => void => {
  const check = () => {
    if (socket.readableLength > 0) finish(Classification.Data({ bytes: socket.readableLength }))
  }
  const onEnd = () => finish(Classification.Closed())
  const onError = (e: NodeJS.ErrnoException) =>
    finish(CLOSED_CODES.has(e.code ?? "") ? Classification.Closed() : Classification.Unknown({ detail: `read error: ${e.message}` }))
  const cleanup = () => {
    socket.off("readable", check)
    socket.off("end", onEnd)
    socket.off("close", onEnd)
    socket.off("error", onError)
  }
  const finish = (c: Classification) => {
    cleanup()
    done(c)
  }
  // A 'readable' listener reads into Node's buffer without consuming it (paused mode).
  socket.on("readable", check)
  socket.once("end", onEnd)
  socket.once("close", onEnd)
  socket.once("error", onError)
  return cleanup
}

/** The portable classifier: needs a cooperating agent (it reads the first bytes), see watchReading. */
export const readingClassifier = (): IdleClassifier => {
  const stops = new Set<() => void>()
  return {
    watch: (conn, done) => {
      const stop = watchReading(conn.socket, (c) => {
        stops.delete(stop)
        done(c)
      })
      stops.add(stop)
      return () => {
        stops.delete(stop)
        stop()
      }
    },
    close: () => {
      for (const stop of stops) stop()
      stops.clear()
    }
  }
}

/** The classifier the configuration names (`apm_config.socket_activation.classifier`). */
export const classifierFor = (kind: "proc" | "read"): IdleClassifier => (kind === "proc" ? procNetClassifier() : readingClassifier())

/** Bytes Node read from the connection and nobody consumed: handed to the agent as a prefix. */
export const drainBuffered = (socket: Net.Socket): Buffer => {
  const chunks: Array<Buffer> = []
  let chunk: unknown
  while ((chunk = socket.read()) !== null) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  }
  return Buffer.concat(chunks)
}
