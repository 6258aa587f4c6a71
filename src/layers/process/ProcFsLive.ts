/**
 * ProcFs over a real procfs tree. Every read is bounded; errno values map to the typed errors
 * (ENOENT/ESRCH → ProcessGone, EACCES/EPERM → PermissionDenied).
 *
 * Two kinds of reads, on purpose:
 * - procfs entries the kernel generates without waiting on the target process (stat, status, cgroup,
 *   readdir/readlink of fd, exe, cwd, stat of an fd, a sealed memfd's bytes) are read with synchronous
 *   calls: they take microseconds, while a thread-pool round trip costs tens of microseconds and a cold
 *   resolve does a dozen of them per process. An fd's file is opened with O_NONBLOCK and must be a
 *   regular file on the opened descriptor: the process may swap a FIFO in under the fd number after it
 *   was stat'ed, and a blocking open of a FIFO would hang the event loop;
 * - cmdline and environ read the target's memory under its mmap lock, which can stall for as long as the
 *   target is stuck (the classic `ps` hang): those go through node:fs/promises so a stuck process never
 *   blocks the event loop.
 */
import * as fsSync from "node:fs"
import * as path from "node:path"
import { Config, Effect, Layer, Option } from "effect"
import { errnoOf, procReadError, ProcFsError, type ProcReadError } from "../../services/process/errors.js"
import { parseStat, parseStatus, parseUstEnviron, splitNul } from "../../services/process/procParsers.js"
import { type FdLink, ProcFs, type ProcFsShape } from "../../services/process/ProcFs.js"

/** Text files under /proc/<pid> are small; these caps keep a hostile process from growing our reads. */
const MAX_TEXT_BYTES = 64 * 1024
const MAX_ENVIRON_BYTES = 256 * 1024

/**
 * Reads at most `max` bytes of a file from offset 0 on the thread pool (procfs reports size 0, so stat
 * cannot size it). Callback API rather than fs/promises: a FileHandle per read costs more than the read.
 */
const readBounded = (file: string, max: number, signal: AbortSignal): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    fsSync.open(file, "r", (openError, fd) => {
      if (openError) return reject(openError)
      const chunks: Array<Buffer> = []
      let total = 0
      const finish = (error: unknown) =>
        fsSync.close(fd, () => (error ? reject(error) : resolve(Buffer.concat(chunks, total))))
      const next = () => {
        if (signal.aborted) return finish(signal.reason)
        const buf = Buffer.allocUnsafe(Math.min(total === 0 ? 4096 : 65536, max - total))
        fsSync.read(fd, buf, 0, buf.length, total, (readError, n) => {
          if (readError) return finish(readError)
          if (n > 0) {
            chunks.push(n === buf.length ? buf : buf.subarray(0, n))
            total += n
          }
          // cmdline and environ fill each read up to the requested count: a short read is the end.
          if (n < buf.length || total >= max) finish(undefined)
          else next()
        })
      }
      next()
    })
  })

/** Scratch space for synchronous reads: safe to share because nothing else runs during a sync read. */
const scratch = Buffer.allocUnsafe(65536)

/** The file opened through an fd link is not a regular file (a FIFO, socket or device). */
class NotRegularFile extends Error {}

/** Opens without blocking and checks the opened descriptor (not the path, which can change meanwhile). */
const openRegularSync = (file: string): number => {
  const fd = fsSync.openSync(file, fsSync.constants.O_RDONLY | fsSync.constants.O_NONBLOCK)
  if (fsSync.fstatSync(fd).isFile()) return fd
  fsSync.closeSync(fd)
  throw new NotRegularFile()
}

/**
 * Synchronous twin of {@link readBounded} for procfs files that never block on the target. Returns a
 * view of `scratch` (copy or decode it before the next read) unless the file is larger than the scratch.
 */
const readBoundedSync = (file: string, max: number, open: (file: string) => number = (f) => fsSync.openSync(f, "r")): Buffer => {
  const fd = open(file)
  try {
    let total = 0
    while (total < max && total < scratch.length) {
      const n = fsSync.readSync(fd, scratch, total, Math.min(scratch.length, max) - total, total)
      if (n === 0) return scratch.subarray(0, total)
      total += n
    }
    if (total >= max || total < scratch.length) return scratch.subarray(0, total)
    const chunks: Array<Buffer> = [Buffer.from(scratch)]
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(65536, max - total))
      const r = fsSync.readSync(fd, chunk, 0, chunk.length, total)
      if (r === 0) break
      chunks.push(chunk.subarray(0, r))
      total += r
      if (total >= max) break
    }
    return Buffer.concat(chunks, total)
  } finally {
    fsSync.closeSync(fd)
  }
}

export const make = (root: string): ProcFsShape => {
  const p = (pid: number, ...rest: Array<string>) => path.join(root, String(pid), ...rest)
  const attempt = <A>(pid: number, file: string, f: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, ProcReadError> =>
    Effect.tryPromise({ try: f, catch: procReadError(pid, file) })
  const attemptSync = <A>(pid: number, file: string, f: () => A): Effect.Effect<A, ProcReadError> =>
    Effect.try({ try: f, catch: procReadError(pid, file) })
  /** Target memory reads (cmdline, environ): asynchronous, see the module comment. */
  const readText = (pid: number, name: string, max = MAX_TEXT_BYTES) => {
    const file = p(pid, name)
    return attempt(pid, file, async (signal) => (await readBounded(file, max, signal)).toString("utf8"))
  }
  const readTextSync = (pid: number, name: string) => {
    const file = p(pid, name)
    return attemptSync(pid, file, () => readBoundedSync(file, MAX_TEXT_BYTES).toString("utf8"))
  }
  const parsed = <A>(pid: number, name: string, parse: (t: string) => A | undefined) =>
    Effect.flatMap(readTextSync(pid, name), (text) => {
      const value = parse(text)
      return value === undefined
        ? Effect.fail(new ProcFsError({ path: p(pid, name), reason: `unrecognized ${name} format` }))
        : Effect.succeed(value)
    })
  const link = (pid: number, name: string) => {
    const file = p(pid, name)
    return Effect.try({
      try: () => {
        try {
          return Option.some(fsSync.readlinkSync(file))
        } catch (e) {
          // Kernel threads have no exe/cwd target: ENOENT while the process itself still exists.
          if (errnoOf(e) === "ENOENT") return Option.none<string>()
          throw e
        }
      },
      catch: procReadError(pid, file)
    })
  }
  return {
    root,
    pids: Effect.try({
      try: () => fsSync.readdirSync(root),
      catch: (e) => new ProcFsError({ path: root, reason: errnoOf(e) ?? "readdir failed", cause: e })
    }).pipe(Effect.map((names) => {
      const pids: Array<number> = []
      for (const n of names) {
        const c = n.charCodeAt(0)
        if (c >= 48 && c <= 57) {
          const pid = Number(n)
          if (Number.isInteger(pid)) pids.push(pid)
        }
      }
      return pids.sort((a, b) => a - b)
    })),
    stat: (pid) => parsed(pid, "stat", parseStat),
    status: (pid) => parsed(pid, "status", parseStatus),
    cmdline: (pid) => Effect.map(readText(pid, "cmdline"), splitNul),
    exe: (pid) => link(pid, "exe"),
    cwd: (pid) => link(pid, "cwd"),
    cgroup: (pid) => readTextSync(pid, "cgroup"),
    environ: (pid) => Effect.map(readText(pid, "environ", MAX_ENVIRON_BYTES), parseUstEnviron),
    fds: (pid, limit) => {
      const dir = p(pid, "fd")
      return attemptSync(pid, dir, () => {
        const fds = fsSync.readdirSync(dir).map(Number).filter((n) => Number.isInteger(n)).sort((a, b) => a - b)
        const links: Array<FdLink> = []
        for (const fd of fds.slice(0, limit)) {
          try {
            links.push({ fd, target: fsSync.readlinkSync(`${dir}/${fd}`) })
          } catch (e) {
            if (errnoOf(e) !== "ENOENT") throw e // ENOENT: closed since readdir
          }
        }
        return links
      })
    },
    statFd: (pid, fd) => {
      const file = p(pid, "fd", String(fd))
      return attemptSync(pid, file, () => {
        const s = fsSync.statSync(file, { bigint: true })
        return { isFile: s.isFile(), size: Number(s.size), mtimeNs: s.mtimeNs, inode: Number(s.ino) }
      })
    },
    readFd: (pid, fd, maxBytes) => {
      const file = p(pid, "fd", String(fd))
      return Effect.try({
        try: () => Uint8Array.from(readBoundedSync(file, maxBytes, openRegularSync)),
        catch: (e) => e instanceof NotRegularFile ? new ProcFsError({ path: file, reason: "not a regular file" }) : procReadError(pid, file)(e)
      })
    }
  }
}

/** ProcFs over `root` (default `/proc`). */
export const layer = (root = "/proc"): Layer.Layer<ProcFs> => Layer.succeed(ProcFs, make(root))

/** ProcFs over `$HOST_PROC` when set (a containerized agent reading the host), else `/proc`. */
export const layerConfig: Layer.Layer<ProcFs, never> = Layer.effect(
  ProcFs,
  Effect.map(Config.string("HOST_PROC").pipe(Config.withDefault("/proc"), Effect.orElseSucceed(() => "/proc")), make)
)
