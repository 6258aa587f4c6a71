/**
 * Typed failures of process resolution and tracer-metadata discovery. Each case is its own class so a
 * caller can tell "retry later" (NoTracerMemfd) from "cannot inspect" (PermissionDenied) from "gone"
 * (ProcessGone) — never one collapsed "not found".
 */
import { Schema } from "effect"

/** The process (or the file asked for) vanished: ENOENT/ESRCH under /proc/<pid>. */
export class ProcessGone extends Schema.TaggedError<ProcessGone>()("ProcessGone", {
  pid: Schema.Number,
  path: Schema.String
}) {
  override get message() {
    return `no process ${this.pid}: it does not exist or has exited (${this.path} is missing)`
  }
}

/** EACCES/EPERM: the reader lacks ptrace-read access to the process (different uid, no CAP_SYS_PTRACE). */
export class PermissionDenied extends Schema.TaggedError<PermissionDenied>()("PermissionDenied", {
  pid: Schema.Number,
  path: Schema.String
}) {
  override get message() {
    return `permission denied reading ${this.path} of process ${this.pid}`
  }
}

/** Any other /proc read failure (EIO, a malformed stat line, an unexpected file type). */
export class ProcFsError extends Schema.TaggedError<ProcFsError>()("ProcFsError", {
  path: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message() {
    return `cannot read ${this.path}: ${this.reason}`
  }
}

/** The process has no fd linking to `/memfd:datadog-tracer-info-*` (not instrumented, or not yet). */
export class NoTracerMemfd extends Schema.TaggedError<NoTracerMemfd>()("NoTracerMemfd", {
  pid: Schema.Number
}) {
  override get message() {
    return `process ${this.pid} has not published tracer metadata (no datadog-tracer-info memfd)`
  }
}

/** The payload is bigger than the read limit; it is refused before being read. */
export class TracerMetadataTooLarge extends Schema.TaggedError<TracerMetadataTooLarge>()("TracerMetadataTooLarge", {
  source: Schema.String,
  size: Schema.Number,
  limit: Schema.Number
}) {
  override get message() {
    return `tracer metadata in ${this.source} is ${this.size} bytes, over the ${this.limit}-byte limit`
  }
}

/** The payload is not one msgpack map: empty, another msgpack type, or corrupt msgpack. */
export class TracerMetadataUndecodable extends Schema.TaggedError<TracerMetadataUndecodable>()(
  "TracerMetadataUndecodable",
  {
    source: Schema.String,
    reason: Schema.Literal("Empty", "NotAMap", "Malformed"),
    detail: Schema.String
  }
) {
  override get message() {
    return `tracer metadata in ${this.source} is undecodable (${this.reason}): ${this.detail}`
  }
}

export type ProcReadError = ProcessGone | PermissionDenied | ProcFsError
export type TracerMetadataPayloadError = TracerMetadataTooLarge | TracerMetadataUndecodable
export type TracerMetadataDiscoveryError = ProcReadError | NoTracerMemfd | TracerMetadataPayloadError

/** The errno code of a Node file-system error, if it has one. */
export const errnoOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined

/** A failed read of `path` under /proc/<pid>, by errno: gone (ENOENT/ESRCH), not permitted (EACCES/EPERM), or other. */
export const procReadError = (pid: number, path: string) => (e: unknown): ProcReadError => {
  switch (errnoOf(e)) {
    case "ENOENT":
    case "ESRCH":
      return new ProcessGone({ pid, path })
    case "EACCES":
    case "EPERM":
      return new PermissionDenied({ pid, path })
    default:
      return new ProcFsError({ path, reason: errnoOf(e) ?? "read failed", cause: e })
  }
}
