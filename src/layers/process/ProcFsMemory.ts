/**
 * An in-memory procfs for tests: processes are plain values a test adds, changes and removes, including
 * fd link targets (`/memfd:datadog-tracer-info-… (deleted)`) and the bytes behind them, and per-file
 * permission failures.
 */
import { Context, Effect, Layer, Option } from "effect"
import { PermissionDenied, ProcessGone, ProcFsError, type ProcReadError } from "../../services/process/errors.js"
import type { ProcStatus, UstEnv } from "../../services/process/procParsers.js"
import { ProcFs, type ProcFsShape } from "../../services/process/ProcFs.js"

export interface MemoryFd {
  readonly target: string
  /** The file behind the link (memfds); absent for sockets, pipes and the like. */
  readonly file?: { readonly bytes: Uint8Array; readonly mtimeNs: bigint; readonly inode: number }
}

export type MemoryFile = "stat" | "status" | "cmdline" | "exe" | "cwd" | "cgroup" | "environ" | "fd"

export interface MemoryProcess {
  readonly pid: number
  readonly ppid: number
  readonly startTime: number
  readonly comm: string
  readonly kernelThread?: boolean
  readonly exe?: string
  readonly cmdline?: ReadonlyArray<string>
  readonly cwd?: string
  readonly cgroup?: string
  readonly environ?: UstEnv
  readonly status?: ProcStatus
  readonly fds?: ReadonlyMap<number, MemoryFd>
  /** Files whose reads fail with EACCES (as for another uid's process). */
  readonly denied?: ReadonlySet<MemoryFile>
}

export interface ProcFsMemoryControl {
  /** Adds or replaces the process with this pid (replacing models pid reuse or an exec). */
  readonly put: (p: MemoryProcess) => Effect.Effect<void>
  readonly update: (pid: number, f: (p: MemoryProcess) => MemoryProcess) => Effect.Effect<void>
  readonly remove: (pid: number) => Effect.Effect<void>
  /** How many file reads each pid saw (to prove caching and retry schedules). */
  readonly reads: (pid: number) => Effect.Effect<number>
}
export class ProcFsMemory extends Context.Tag("dd-agent-effect/ProcFsMemory")<ProcFsMemory, ProcFsMemoryControl>() {}

const defaultStatus: ProcStatus = {
  uid: { real: 0, effective: 0, saved: 0, fs: 0 },
  gid: { real: 0, effective: 0, saved: 0, fs: 0 }
}

const make = (initial: ReadonlyArray<MemoryProcess>, root: string) => {
  const procs = new Map<number, MemoryProcess>(initial.map((p) => [p.pid, p]))
  const readCounts = new Map<number, number>()
  const access = <A>(pid: number, file: MemoryFile, f: (p: MemoryProcess) => A): Effect.Effect<A, ProcReadError> =>
    Effect.suspend((): Effect.Effect<A, ProcReadError> => {
      const path = `${root}/${pid}/${file}`
      const proc = procs.get(pid)
      if (proc === undefined) return Effect.fail(new ProcessGone({ pid, path }))
      readCounts.set(pid, (readCounts.get(pid) ?? 0) + 1)
      if (proc.denied?.has(file) === true) return Effect.fail(new PermissionDenied({ pid, path }))
      return Effect.succeed(f(proc))
    })
  const fdOf = (pid: number, fd: number) =>
    Effect.flatMap(access(pid, "fd", (p) => p.fds?.get(fd)), (entry) =>
      entry?.file === undefined
        ? Effect.fail(entry === undefined
          ? new ProcessGone({ pid, path: `${root}/${pid}/fd/${fd}` })
          : new ProcFsError({ path: `${root}/${pid}/fd/${fd}`, reason: "not a regular file" }))
        : Effect.succeed(entry.file))
  const procFs: ProcFsShape = {
    root,
    pids: Effect.sync(() => [...procs.keys()].sort((a, b) => a - b)),
    stat: (pid) =>
      access(pid, "stat", (p) => ({
        pid,
        comm: p.comm,
        state: "S",
        ppid: p.ppid,
        startTime: p.startTime,
        kernelThread: p.kernelThread === true
      })),
    status: (pid) => access(pid, "status", (p) => p.status ?? defaultStatus),
    cmdline: (pid) => access(pid, "cmdline", (p) => p.cmdline ?? []),
    exe: (pid) => access(pid, "exe", (p) => Option.fromNullable(p.exe)),
    cwd: (pid) => access(pid, "cwd", (p) => Option.fromNullable(p.cwd)),
    cgroup: (pid) => access(pid, "cgroup", (p) => p.cgroup ?? "0::/"),
    environ: (pid) => access(pid, "environ", (p) => p.environ ?? {}),
    fds: (pid, limit) =>
      access(pid, "fd", (p) =>
        [...(p.fds ?? new Map<number, MemoryFd>()).entries()]
          .sort(([a], [b]) => a - b)
          .slice(0, limit)
          .map(([fd, e]) => ({ fd, target: e.target }))),
    statFd: (pid, fd) =>
      Effect.map(fdOf(pid, fd), (f) => ({ isFile: true, size: f.bytes.byteLength, mtimeNs: f.mtimeNs, inode: f.inode })),
    readFd: (pid, fd, maxBytes) => Effect.map(fdOf(pid, fd), (f) => f.bytes.slice(0, maxBytes))
  }
  const control: ProcFsMemoryControl = {
    put: (p) => Effect.sync(() => void procs.set(p.pid, p)),
    update: (pid, f) =>
      Effect.sync(() => {
        const p = procs.get(pid)
        if (p !== undefined) procs.set(pid, f(p))
      }),
    remove: (pid) => Effect.sync(() => void procs.delete(pid)),
    reads: (pid) => Effect.sync(() => readCounts.get(pid) ?? 0)
  }
  return Context.make(ProcFs, procFs).pipe(Context.add(ProcFsMemory, control))
}

/** ProcFs and its control over the given processes; a fresh tree each time the layer is built. */
export const layer = (
  initial: ReadonlyArray<MemoryProcess> = [],
  root = "/proc"
): Layer.Layer<ProcFs | ProcFsMemory> => Layer.effectContext(Effect.sync(() => make(initial, root)))
