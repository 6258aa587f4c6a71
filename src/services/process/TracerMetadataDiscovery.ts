/**
 * Finding a process's tracer metadata: scan its fd links once for `/memfd:datadog-tracer-info-*`,
 * read every candidate (stat first, refuse over-limit sizes before reading, re-stat after reading so a
 * closed-and-reused fd number cannot attach another file's bytes), and keep the newest: the higher mtime,
 * then the greater runtime_id. Failures stay distinct (gone, denied, none published, too large, undecodable).
 */
import { Effect, Either } from "effect"
import {
  NoTracerMemfd,
  ProcFsError,
  TracerMetadataTooLarge,
  type TracerMetadataDiscoveryError
} from "./errors.js"
import type { FdFileInfo, ProcFsShape } from "./ProcFs.js"
import { type DecodedTracerMetadata, decodeTracerMetadata, TRACER_METADATA_MAX_BYTES } from "./TracerMetadataCodec.js"

export const TRACER_MEMFD_LINK_PREFIX = "/memfd:datadog-tracer-info-"

/** True for the link target of a tracer memfd (`/memfd:datadog-tracer-info-XXXXXXXX (deleted)`). */
export const isTracerMemfdLink = (target: string): boolean => target.startsWith(TRACER_MEMFD_LINK_PREFIX)

/** Which open file the metadata came from. */
export interface TracerMetadataSource {
  readonly fd: number
  readonly link: string
  readonly inode: number
  readonly mtimeNs: bigint
  readonly size: number
}

export interface DiscoveredTracerMetadata extends DecodedTracerMetadata {
  readonly source: TracerMetadataSource
  /** How many tracer memfds the process holds (more than one after a fork + republish). */
  readonly candidates: number
}

/** Orders candidates newest first: higher mtime, then lexicographically greater runtime_id. */
export const newerFirst = (a: DiscoveredTracerMetadata, b: DiscoveredTracerMetadata): number => {
  if (a.source.mtimeNs !== b.source.mtimeNs) return a.source.mtimeNs > b.source.mtimeNs ? -1 : 1
  const ra = a.metadata.runtime_id ?? ""
  const rb = b.metadata.runtime_id ?? ""
  return ra === rb ? a.source.fd - b.source.fd : ra > rb ? -1 : 1
}

export interface DiscoveryOptions {
  /** At most this many fds are inspected per process. */
  readonly maxFds: number
  /** At most this many tracer memfds are read per process. */
  readonly maxCandidates: number
}
export const defaultDiscoveryOptions: DiscoveryOptions = { maxFds: 16_384, maxCandidates: 8 }

const readCandidate = (
  procFs: ProcFsShape,
  pid: number,
  fd: number,
  link: string
): Effect.Effect<DiscoveredTracerMetadata, TracerMetadataDiscoveryError> =>
  Effect.gen(function*() {
    const path = `${procFs.root}/${pid}/fd/${fd}`
    const before: FdFileInfo = yield* procFs.statFd(pid, fd)
    if (!before.isFile) return yield* new ProcFsError({ path, reason: "tracer memfd is not a regular file" })
    if (before.size > TRACER_METADATA_MAX_BYTES) {
      return yield* new TracerMetadataTooLarge({ source: path, size: before.size, limit: TRACER_METADATA_MAX_BYTES })
    }
    // One byte over the limit detects a file that grew since stat.
    const bytes = yield* procFs.readFd(pid, fd, TRACER_METADATA_MAX_BYTES + 1)
    const after = yield* procFs.statFd(pid, fd)
    if (after.inode !== before.inode) {
      return yield* new ProcFsError({ path, reason: "fd was closed and reused while it was being read" })
    }
    const decoded = yield* Either.match(decodeTracerMetadata(bytes, path), {
      onLeft: (e) => Effect.fail(e),
      onRight: (d) => Effect.succeed(d)
    })
    return {
      ...decoded,
      source: { fd, link, inode: after.inode, mtimeNs: after.mtimeNs, size: bytes.byteLength },
      candidates: 1
    }
  })

/**
 * Discovers the tracer metadata `pid` publishes. With several memfds the newest decodable one wins; when
 * none decodes, the error of the newest-looking candidate (highest fd) is returned.
 */
export const discoverTracerMetadata = (
  procFs: ProcFsShape,
  pid: number,
  options: DiscoveryOptions = defaultDiscoveryOptions
): Effect.Effect<DiscoveredTracerMetadata, TracerMetadataDiscoveryError> =>
  Effect.gen(function*() {
    const links = yield* procFs.fds(pid, options.maxFds)
    const matches = links.filter((l) => isTracerMemfdLink(l.target))
    if (matches.length === 0) return yield* new NoTracerMemfd({ pid })
    const results = yield* Effect.forEach(
      matches.slice(-options.maxCandidates),
      (l) => Effect.either(readCandidate(procFs, pid, l.fd, l.target))
    )
    const found = results.filter(Either.isRight).map((r) => r.right).sort(newerFirst)
    const best = found[0]
    if (best === undefined) return yield* (results[results.length - 1] as Either.Left<TracerMetadataDiscoveryError, never>).left
    return { ...best, candidates: matches.length }
  })
