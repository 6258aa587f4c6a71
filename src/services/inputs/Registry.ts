/**
 * The offset registry: per tailed file, the offset up to which every line was acknowledged, with the file's
 * identity so that a rotated or replaced file is not resumed at the old file's offset.
 *
 * Identity is device + inode + a fingerprint of the file's first bytes (as Filebeat and Vector do): an inode
 * freed by a deleted file is often given at once to the next file created, so device and inode alone would
 * resume a new file at the old one's offset and lose its first lines. The fingerprint is a SHA-256 of the
 * first `fingerprintBytes` bytes; for a file shorter than that it covers the whole file as it was when the
 * entry was written, and grows with the file up to the limit. So a short file is told apart from a new one
 * by everything it held: a new file that begins with exactly those bytes is taken for the same file, and
 * only the bytes they share (already sent) are skipped.
 */
import * as Crypto from "node:crypto"
import { Either, ParseResult, Schema } from "effect"

/** How many leading bytes identify a file (Filebeat's default). */
export const fingerprintBytes = 1024

export const Fingerprint = Schema.Struct({
  /** How many leading bytes the hash covers: min(file size, `fingerprintBytes`) when it was taken. */
  bytes: Schema.Int.pipe(Schema.between(0, fingerprintBytes)),
  sha256: Schema.String
})
export type Fingerprint = typeof Fingerprint.Type

export const RegistryEntry = Schema.Struct({
  offset: Schema.Int.pipe(Schema.nonNegative()),
  /** Device and inode: a different file at the same path starts from 0. */
  dev: Schema.Number,
  ino: Schema.Number,
  /** The first bytes' fingerprint (absent in registries written before it existed: device and inode only). */
  fingerprint: Schema.optional(Fingerprint),
  updatedAt: Schema.Number
})
export type RegistryEntry = typeof RegistryEntry.Type

export const RegistryFile = Schema.Struct({
  version: Schema.Literal(1),
  files: Schema.Record({ key: Schema.String, value: RegistryEntry })
})
export type RegistryFile = typeof RegistryFile.Type

export const emptyRegistry: RegistryFile = { version: 1, files: {} }

export const parseRegistry = (text: string): Either.Either<RegistryFile, string> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Either.left(`not JSON: ${(e as Error).message}`)
  }
  return Either.mapLeft(Schema.decodeUnknownEither(RegistryFile)(json), (e) => ParseResult.TreeFormatter.formatErrorSync(e))
}

/** The fingerprint of a file whose first bytes are `head` (at most `fingerprintBytes` of them are used). */
export const fingerprintOf = (head: Uint8Array): Fingerprint => {
  const bytes = Math.min(head.length, fingerprintBytes)
  return { bytes, sha256: Crypto.createHash("sha256").update(head.subarray(0, bytes)).digest("hex") }
}

/** A file as found now: device, inode, size and its first bytes (up to `fingerprintBytes`). */
export interface FileIdentity {
  readonly dev: number
  readonly ino: number
  readonly size: number
  readonly head: Uint8Array
}

/** Whether `entry` describes this very file: same device and inode, and the same first bytes. */
export const sameFile = (entry: RegistryEntry, file: FileIdentity): boolean => {
  if (entry.dev !== file.dev || entry.ino !== file.ino) return false
  const fp = entry.fingerprint
  if (fp === undefined) return true
  // Shorter than the bytes fingerprinted: truncated, or another file.
  if (file.head.length < fp.bytes) return false
  return fingerprintOf(file.head.subarray(0, fp.bytes)).sha256 === fp.sha256
}

/** Where to resume a file: its registered offset when it is the same file and not shorter, else `fallback`. */
export const resumeOffset = (entry: RegistryEntry | undefined, file: FileIdentity, fallback: number): number => {
  if (entry === undefined) return fallback
  if (!sameFile(entry, file)) return 0 // replaced while we were down: read it all
  return entry.offset <= file.size ? entry.offset : 0 // truncated while we were down
}
