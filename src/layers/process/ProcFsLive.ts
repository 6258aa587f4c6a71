/**
 * ProcFs over a real procfs tree through node:fs/promises. Every read is bounded; errno values map to
 * the typed errors (ENOENT/ESRCH → ProcessGone, EACCES/EPERM → PermissionDenied).
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Config, Effect, Layer, Option } from "effect"
import { PermissionDenied, ProcessGone, ProcFsError, type ProcReadError } from "../../services/process/errors.js"
import { parseStat, parseStatus, parseUstEnviron, splitNul } from "../../services/process/procParsers.js"
import { type FdLink, ProcFs, type ProcFsShape } from "../../services/process/ProcFs.js"

/** Text files under /proc/<pid> are small; these caps keep a hostile process from growing our reads. */
const MAX_TEXT_BYTES = 64 * 1024
const MAX_ENVIRON_BYTES = 256 * 1024

const errnoOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined

const toReadError = (pid: number, file: string) => (e: unknown): ProcReadError => {
  switch (errnoOf(e)) {
    case "ENOENT":
    case "ESRCH":
      return new ProcessGone({ pid, path: file })
    case "EACCES":
    case "EPERM":
      return new PermissionDenied({ pid, path: file })
    default:
      return new ProcFsError({ path: file, reason: errnoOf(e) ?? "read failed", cause: e })
  }
}

/** Reads at most `max` bytes of a file from offset 0 (procfs reports size 0, so stat cannot size it). */
const readBounded = async (file: string, max: number): Promise<Buffer> => {
  const handle = await fs.open(file, "r")
  try {
    const buf = Buffer.allocUnsafe(Math.min(max, 4096))
    let chunks: Array<Buffer> | undefined
    let total = 0
    let view = buf
    for (;;) {
      const { bytesRead } = await handle.read(view, 0, Math.min(view.length, max - total), total)
      if (bytesRead === 0) break
      if (chunks === undefined && bytesRead < view.length) return buf.subarray(0, bytesRead)
      chunks ??= []
      chunks.push(Buffer.from(view.subarray(0, bytesRead)))
      total += bytesRead
      if (total >= max) break
      view = Buffer.allocUnsafe(Math.min(65536, max - total))
    }
    return chunks === undefined ? Buffer.alloc(0) : Buffer.concat(chunks, total)
  } finally {
    await handle.close()
  }
}

export const make = (root: string): ProcFsShape => {
  const p = (pid: number, ...rest: Array<string>) => path.join(root, String(pid), ...rest)
  const attempt = <A>(pid: number, file: string, f: () => Promise<A>): Effect.Effect<A, ProcReadError> =>
    Effect.tryPromise({ try: f, catch: toReadError(pid, file) })
  const readText = (pid: number, name: string, max = MAX_TEXT_BYTES) => {
    const file = p(pid, name)
    return attempt(pid, file, async () => (await readBounded(file, max)).toString("utf8"))
  }
  const parsed = <A>(pid: number, name: string, parse: (t: string) => A | undefined) =>
    Effect.flatMap(readText(pid, name), (text) => {
      const value = parse(text)
      return value === undefined
        ? Effect.fail(new ProcFsError({ path: p(pid, name), reason: `unrecognized ${name} format` }))
        : Effect.succeed(value)
    })
  const link = (pid: number, name: string) => {
    const file = p(pid, name)
    return Effect.tryPromise({ try: () => fs.readlink(file), catch: (e) => e }).pipe(
      Effect.map(Option.some),
      // Kernel threads have no exe/cwd target: ENOENT while the process itself still exists.
      Effect.catchAll((e) => errnoOf(e) === "ENOENT" ? Effect.succeed(Option.none<string>()) : Effect.fail(toReadError(pid, file)(e)))
    )
  }
  return {
    root,
    pids: Effect.tryPromise({
      try: () => fs.readdir(root),
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
    cgroup: (pid) => readText(pid, "cgroup"),
    environ: (pid) => Effect.map(readText(pid, "environ", MAX_ENVIRON_BYTES), parseUstEnviron),
    fds: (pid, limit) => {
      const dir = p(pid, "fd")
      return attempt(pid, dir, async () => {
        const names = await fs.readdir(dir)
        const fds = names.map(Number).filter((n) => Number.isInteger(n)).sort((a, b) => a - b).slice(0, limit)
        const links = await Promise.all(fds.map(async (fd): Promise<FdLink | undefined> => {
          try {
            return { fd, target: await fs.readlink(path.join(dir, String(fd))) }
          } catch (e) {
            if (errnoOf(e) === "ENOENT") return undefined // closed since readdir
            throw e
          }
        }))
        return links.filter((l): l is FdLink => l !== undefined)
      })
    },
    statFd: (pid, fd) => {
      const file = p(pid, "fd", String(fd))
      return attempt(pid, file, async () => {
        const s = await fs.stat(file, { bigint: true })
        return { isFile: s.isFile(), size: Number(s.size), mtimeNs: s.mtimeNs, inode: Number(s.ino) }
      })
    },
    readFd: (pid, fd, maxBytes) => {
      const file = p(pid, "fd", String(fd))
      return attempt(pid, file, async () => new Uint8Array(await readBounded(file, maxBytes)))
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
