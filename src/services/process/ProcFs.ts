/**
 * Port over a procfs tree. The live adapter reads the real /proc (or a host /proc mounted elsewhere);
 * the in-memory adapter lets tests fake readlink targets such as `/memfd:datadog-tracer-info-x (deleted)`,
 * which a real tree of files cannot.
 */
import { Context, type Effect, type Option } from "effect"
import type { ProcFsError, ProcReadError } from "./errors.js"
import type { ProcStat, ProcStatus, UstEnv } from "./procParsers.js"

/** An open file descriptor and the target its /proc link reads as. */
export interface FdLink {
  readonly fd: number
  readonly target: string
}

/** What stat(2) through `/proc/<pid>/fd/<n>` says about the open file. */
export interface FdFileInfo {
  readonly isFile: boolean
  readonly size: number
  /** Modification time in nanoseconds since the epoch (orders memfds published milliseconds apart). */
  readonly mtimeNs: bigint
  readonly inode: number
}

export interface ProcFsShape {
  /** The procfs root being read (e.g. `/proc`, `/host/proc`). */
  readonly root: string
  /** Numeric entries of the root, ascending. */
  readonly pids: Effect.Effect<ReadonlyArray<number>, ProcFsError>
  readonly stat: (pid: number) => Effect.Effect<ProcStat, ProcReadError>
  readonly status: (pid: number) => Effect.Effect<ProcStatus, ProcReadError>
  readonly cmdline: (pid: number) => Effect.Effect<ReadonlyArray<string>, ProcReadError>
  /** The executable path; none for kernel threads, which have no `exe`. */
  readonly exe: (pid: number) => Effect.Effect<Option.Option<string>, ProcReadError>
  readonly cwd: (pid: number) => Effect.Effect<Option.Option<string>, ProcReadError>
  /** Raw `/proc/<pid>/cgroup` text. */
  readonly cgroup: (pid: number) => Effect.Effect<string, ProcReadError>
  /** DD_SERVICE/DD_ENV/DD_VERSION only; the rest of the environment is never retained. */
  readonly environ: (pid: number) => Effect.Effect<UstEnv, ProcReadError>
  /** Open fds (ascending) with their link targets, at most `limit` of them; fds closed meanwhile are skipped. */
  readonly fds: (pid: number, limit: number) => Effect.Effect<ReadonlyArray<FdLink>, ProcReadError>
  readonly statFd: (pid: number, fd: number) => Effect.Effect<FdFileInfo, ProcReadError>
  /** Reads the open file from its start, at most `maxBytes` bytes. */
  readonly readFd: (pid: number, fd: number, maxBytes: number) => Effect.Effect<Uint8Array, ProcReadError>
}

export class ProcFs extends Context.Tag("dd-agent-effect/ProcFs")<ProcFs, ProcFsShape>() {}
