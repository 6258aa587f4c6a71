/**
 * A cache entry: one process incarnation, identified by (pid, start time) so a reused pid is always a
 * different entry. Entries are immutable values; the cache swaps whole entries, never mutates them.
 */
import type { Option } from "effect"
import type { ProcStatus, UstEnv } from "./procParsers.js"
import type { TracerMetadata } from "./TracerMetadata.js"
import type { FieldIssue } from "./TracerMetadataCodec.js"
import type { TracerMetadataSource } from "./TracerMetadataDiscovery.js"

export interface ProcessKey {
  readonly pid: number
  /** Clock ticks after boot (`/proc/<pid>/stat` field 22). */
  readonly startTime: number
}

export const keyOf = (pid: number, startTime: number): string => `${pid}:${startTime}`
export const keyString = (k: ProcessKey): string => keyOf(k.pid, k.startTime)

/** What /proc says about the process. Optional facts are none when unreadable (kernel thread, EACCES). */
export interface ProcessFacts {
  readonly ppid: number
  readonly comm: string
  readonly exe: Option.Option<string>
  readonly cmdline: ReadonlyArray<string>
  readonly cwd: Option.Option<string>
  readonly credentials: Option.Option<ProcStatus>
  readonly containerId: Option.Option<string>
  /** DD_SERVICE/DD_ENV/DD_VERSION from the environment; none unless environ reading is enabled. */
  readonly env: Option.Option<UstEnv>
}

/** Where the tracer metadata of an entry came from and how trustworthy it is. */
export interface TracerProvenance {
  readonly source: TracerMetadataSource
  /** Fields dropped because of a wrong msgpack type. */
  readonly issues: ReadonlyArray<FieldIssue>
  readonly unknownKeys: ReadonlyArray<string>
  /** How many tracer memfds the process held when read. */
  readonly candidates: number
  /** The parent's pid when the chosen memfd is the parent's (same inode): inherited at fork, not republished. */
  readonly inheritedFrom: Option.Option<number>
}

/** The metadata retry state of an entry whose tracer has not (or not itself) published yet. */
export interface MetadataRetry {
  /** Attempts made so far after the first read. */
  readonly attempt: number
  /** Epoch milliseconds at which the next read is due. */
  readonly dueAt: number
  /** Tag of the last failure (NoTracerMemfd, PermissionDenied, TracerMetadataUndecodable, ...). */
  readonly lastError: string
}

export interface ProcessEntry {
  readonly key: ProcessKey
  readonly facts: ProcessFacts
  /** The parent incarnation (resolved by its pid and an earlier start time); none for pid 1 or when gone. */
  readonly parent: Option.Option<ProcessKey>
  /** The whole structure the process's tracer published, when it did. */
  readonly tracer: Option.Option<TracerMetadata>
  readonly provenance: Option.Option<TracerProvenance>
  /** Pending metadata lookups; none once the process's own metadata was found. */
  readonly retry: Option.Option<MetadataRetry>
  /** Epoch milliseconds when this entry was resolved (or last re-resolved after an exec). */
  readonly resolvedAt: number
}

/** A rough size of an entry in bytes, for the cache's byte bound (strings counted at 2 bytes/char). */
export const entryBytes = (e: ProcessEntry): number => {
  let n = 256 + e.facts.comm.length * 2
  if (e.facts.exe._tag === "Some") n += e.facts.exe.value.length * 2
  if (e.facts.cwd._tag === "Some") n += e.facts.cwd.value.length * 2
  for (const a of e.facts.cmdline) n += 16 + a.length * 2
  if (e.provenance._tag === "Some") n += e.provenance.value.source.size * 2 + e.provenance.value.source.link.length * 2
  return n
}
