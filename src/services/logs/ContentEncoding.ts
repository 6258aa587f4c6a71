/**
 * Application-level compression of `StatefulBatch.data`, announced per stream in `dd-content-encoding`.
 * zstd comes from node:zlib (Node >= 22.15); gzip is what a Datadog agent configured for gzip sends.
 */
import * as Zlib from "node:zlib"
import { PayloadError } from "./errors.js"

export type ContentEncoding = "zstd" | "gzip" | "identity"

export const contentEncodings: ReadonlyArray<ContentEncoding> = ["zstd", "gzip", "identity"]

/** Default limit on a decompressed batch payload. */
export const defaultMaxPayloadBytes = 16 * 1024 * 1024

/** Parses a `dd-content-encoding` value; a stream without the header is identity (the contract's rule). */
export const parseContentEncoding = (value: string | undefined): ContentEncoding | PayloadError => {
  if (value === undefined || value === "") return "identity"
  const v = value.trim().toLowerCase()
  if (v === "zstd" || v === "gzip" || v === "identity") return v
  return new PayloadError({
    reason: "UnknownEncoding",
    message: `unknown dd-content-encoding '${value}' (expected one of: ${contentEncodings.join(", ")})`
  })
}

/** zstd is in node:zlib from Node 22.15; older runtimes can only use identity. */
export const zstdAvailable: boolean = typeof Zlib.zstdCompressSync === "function"

const zstdMissing = () =>
  new Error(`zstd needs Node.js >= 22.15 (running ${process.version}); use identity or a newer Node`)

/** The typed error for a zstd payload on a runtime without zstd. */
export const zstdUnavailable = () => new PayloadError({ reason: "UnknownEncoding", message: zstdMissing().message })

export const compress = (data: Uint8Array, encoding: ContentEncoding, level = 1): Uint8Array => {
  if (encoding === "identity") return data
  if (encoding === "gzip") return Zlib.gzipSync(data, { level })
  if (!zstdAvailable) throw zstdMissing()
  const out = Zlib.zstdCompressSync(data, { params: { [Zlib.constants.ZSTD_c_compressionLevel]: level } })
  // zlib returns a view on a larger output chunk (64 KiB or more); a payload kept in flight until its ack
  // would hold the whole chunk, so keep an exact-size copy instead.
  return out.byteLength < out.buffer.byteLength / 2 ? new Uint8Array(out) : out
}

/**
 * Decompresses a batch payload, refusing to produce more than `maxBytes`: zlib stops as soon as its output
 * would pass the limit, so a decompression bomb or a corrupt frame gets a typed error, never an unbounded
 * allocation.
 */
export const decompress = (
  data: Uint8Array,
  encoding: ContentEncoding,
  maxBytes = defaultMaxPayloadBytes
): Uint8Array | PayloadError => {
  if (encoding === "identity") return data.length > maxBytes ? oversizedPayload(data.length, maxBytes) : data
  if (encoding === "zstd" && !zstdAvailable) return zstdUnavailable()
  try {
    return encoding === "gzip" ? Zlib.gunzipSync(data, { maxOutputLength: maxBytes }) : zstdFramesSync(data, maxBytes)
  } catch (cause) {
    return decompressError(cause, encoding, maxBytes)
  }
}

/** node:zlib's `info: true` result, which @types/node does not declare: the output and the engine that made it. */
interface ZstdInfo {
  readonly buffer: Buffer
  readonly engine: { readonly bytesWritten: number }
}

/**
 * Every frame of a zstd payload. A payload may hold several frames, whose contents follow one another (RFC 8878,
 * section 3); node:zlib stops silently after the first, so each next frame starts where the engine stopped
 * reading (`bytesWritten`), and bytes that are not a frame fail as corrupt.
 */
const zstdFramesSync = (data: Uint8Array, maxBytes: number): Uint8Array => {
  const parts: Array<Buffer> = []
  let offset = 0
  let total = 0
  do {
    // A limit of 0 is refused by zlib; a frame that makes even one byte past the limit is caught below.
    const options = { maxOutputLength: Math.max(1, maxBytes - total), info: true }
    const frame = Zlib.zstdDecompressSync(data.subarray(offset), options) as unknown as ZstdInfo
    if (frame.engine.bytesWritten === 0) throw new Error(`no zstd frame at offset ${offset}`)
    offset += frame.engine.bytesWritten
    total += frame.buffer.length
    if (total > maxBytes) throw Object.assign(new Error("output too large"), { code: "ERR_BUFFER_TOO_LARGE" })
    parts.push(frame.buffer)
  } while (offset < data.length)
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total)
}

/**
 * The content size a zstd payload's first frame declares in its header (RFC 8878, section 3.1.1.1), or
 * `undefined` when the payload does not start with a zstd frame header that declares one. Only a hint for
 * choosing how to inflate: the decompression itself still enforces every limit.
 */
export const zstdDeclaredContentSize = (data: Uint8Array): number | undefined => {
  if (data.length < 5 || data[0] !== 0x28 || data[1] !== 0xb5 || data[2] !== 0x2f || data[3] !== 0xfd) return undefined
  const descriptor = data[4]!
  if ((descriptor & 0x08) !== 0) return undefined // reserved bit: not a valid frame
  const singleSegment = (descriptor & 0x20) !== 0
  const sizeFlag = descriptor >> 6
  const sizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag
  if (sizeBytes === 0) return undefined
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03]!
  const at = 5 + (singleSegment ? 0 : 1) + dictionaryBytes
  if (data.length < at + sizeBytes) return undefined
  let size = 0
  for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + data[at + i]!
  return sizeBytes === 2 ? size + 256 : size
}

/**
 * Payloads the intake inflates at once on the main thread instead of a chunk at a time on zlib's thread pool: a
 * zstd payload whose first frame declares at most this many bytes. Inflating that much takes about a
 * millisecond, and saves the stream's per-chunk round trips and allocations; anything larger, or without a
 * declared size, is streamed.
 */
export const inflateAtOnceBytes = 1024 * 1024

/**
 * Bytes of decompressed payload the intake asks zlib for at a time: a batch is read as it is inflated, so one
 * that breaks a limit early (a decompression bomb is rejected at its datum limit) costs about this much per
 * chunk it got through, never its whole inflated size.
 */
export const inflateChunkBytes = 64 * 1024

/** The typed error for a failed decompression (`cause` is zlib's error). */
export const decompressError = (cause: unknown, encoding: ContentEncoding, maxBytes: number): PayloadError => {
  const code = (cause as { code?: string }).code
  if (code === "ERR_BUFFER_TOO_LARGE" || (code !== undefined && /TOO_LARGE|too large/i.test(String((cause as Error).message)))) {
    return oversizedPayload(undefined, maxBytes)
  }
  return new PayloadError({ reason: "Corrupt", message: `${encoding} payload is corrupt: ${(cause as Error).message}`, cause })
}

/** A payload over the limit: its size when known (identity), or only that it decompresses to more. */
export const oversizedPayload = (size: number | undefined, maxBytes: number) =>
  new PayloadError({
    reason: "Oversized",
    message: `batch payload ${size === undefined ? "decompresses to more than" : `is ${size} bytes, over`} the ${maxBytes}-byte limit`
  })
