/**
 * A compressed batch payload inflated a chunk at a time on zlib's thread pool, as the reader asks for it: zlib
 * fills at most one chunk ahead of the reader (the stream's high-water mark is one chunk), so a batch that the
 * reader rejects early (a limit crossed) stops its decompression there, and no payload is ever inflated whole.
 * Each chunk is a short job on the thread pool, so file writes never queue behind a whole payload being
 * inflated; the main thread only hands chunks over.
 *
 * A small payload whose size is bounded before it is inflated (`inflateAtOnceBytes`) is inflated at once on the
 * main thread instead, and handed out in the same chunks: the stream's per-chunk work costs more than such a
 * payload's inflation.
 */
import { Effect, type Scope } from "effect"
import * as Zlib from "node:zlib"
import {
  type ContentEncoding,
  decompress,
  decompressError,
  inflateAtOnceBytes,
  inflateChunkBytes,
  oversizedPayload,
  zstdAvailable,
  zstdDeclaredContentSize,
  zstdUnavailable
} from "../../services/logs/ContentEncoding.js"
import { PayloadError } from "../../services/logs/errors.js"

export interface PayloadInflater {
  /** The next chunk of the decompressed payload; `undefined` after the last one. */
  readonly next: Effect.Effect<Uint8Array | undefined, PayloadError>
}

/**
 * Starts inflating `data` (an identity payload is its one chunk); closing the scope stops the decompression
 * wherever it is. `maxBytes` only names the limit in an error (the reader counts the bytes and stops there).
 * `atOnceBytes` is the largest declared size inflated at once (a negative value streams every payload).
 */
export const openPayloadInflater = (
  data: Uint8Array,
  encoding: ContentEncoding,
  maxBytes: number,
  atOnceBytes: number = inflateAtOnceBytes
): Effect.Effect<PayloadInflater, never, Scope.Scope> => {
  if (encoding === "identity") return Effect.succeed(chunksOf(data, data.length))
  if (encoding === "zstd" && !zstdAvailable) return Effect.succeed({ next: Effect.fail(zstdUnavailable()) })
  // A zstd frame is checked against the size it declares, so one declaring more than the limit is over it (or
  // corrupt) whatever it holds: refused before any of it is inflated.
  const declared = encoding === "zstd" ? zstdDeclaredContentSize(data) : undefined
  if (declared !== undefined && declared > maxBytes) return Effect.succeed({ next: Effect.fail(oversizedPayload(undefined, maxBytes)) })
  const whole = inflateAtOnce(data, encoding, maxBytes, atOnceBytes)
  if (whole !== undefined) return Effect.succeed(chunksOf(whole, inflateChunkBytes))
  return Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => {
        const options = { chunkSize: inflateChunkBytes, readableHighWaterMark: inflateChunkBytes }
        let failure: PayloadError | undefined
        let ended = false
        let wake: (() => void) | undefined
        // Where in `data` the current engine's input starts: 0, or the start of a later zstd frame (see below).
        let offset = 0
        const start = (input: Uint8Array) => {
          const z = encoding === "gzip" ? Zlib.createGunzip(options) : Zlib.createZstdDecompress(options)
          z.on("readable", () => wake?.())
          z.on("end", () => {
            ended = true
            wake?.()
          })
          z.on("error", (cause) => {
            failure = decompressError(cause, encoding, maxBytes)
            wake?.()
          })
          z.end(input)
          return z
        }
        const state = { z: start(data) }
        // A zstd payload may hold several frames whose contents follow one another (RFC 8878, section 3), but
        // node:zlib's decompressor ends after the first one without a word: the next frame starts where it
        // stopped reading, and bytes there that are not a frame fail as corrupt.
        const nextFrame = (): boolean => {
          const read = state.z.bytesWritten
          if (encoding !== "zstd" || offset + read >= data.length) return false
          if (read === 0) {
            failure = decompressError(new Error(`no zstd frame at offset ${offset}`), encoding, maxBytes)
            return false
          }
          offset += read
          ended = false
          state.z.destroy()
          state.z = start(data.subarray(offset))
          return true
        }
        const next = Effect.async<Uint8Array | undefined, PayloadError>((resume) => {
          const ready = (): boolean => {
            if (failure !== undefined) resume(Effect.fail(failure))
            else {
              const chunk = state.z.read() as Buffer | null
              if (chunk !== null) resume(Effect.succeed(chunk))
              else if (ended && nextFrame()) return false
              else if (failure !== undefined) resume(Effect.fail(failure))
              else if (ended) resume(Effect.succeed(undefined))
              else return false
            }
            wake = undefined
            return true
          }
          if (!ready()) wake = ready
          return Effect.sync(() => {
            wake = undefined
          })
        })
        return { state, next }
      }),
      ({ state }) => Effect.sync(() => state.z.destroy())
    ),
    ({ next }) => ({ next })
  )
}

/** `data` handed out `size` bytes at a time (an empty payload as one empty chunk). */
const chunksOf = (data: Uint8Array, size: number): PayloadInflater => {
  let offset = 0
  let done = false
  return {
    next: Effect.sync(() => {
      if (done) return undefined
      const chunk = data.subarray(offset, offset + size)
      offset += size
      done = offset >= data.length
      return chunk
    })
  }
}

/**
 * The payload inflated at once when its first frame declares at most `atOnceBytes` (capped by `maxBytes`, and
 * by the same amount over every frame); `undefined` when it must be streamed: larger, no size
 * declared, or the one-shot failed (corrupt, or more than it declared). The streamed path then reaches the same
 * rejection, so which path ran never changes a batch's decision.
 */
export const inflateAtOnce = (
  data: Uint8Array,
  encoding: ContentEncoding,
  maxBytes: number,
  atOnceBytes: number = inflateAtOnceBytes
): Uint8Array | undefined => {
  if (encoding !== "zstd" || !zstdAvailable) return undefined
  const declared = zstdDeclaredContentSize(data)
  if (declared === undefined || declared > atOnceBytes) return undefined
  const whole = decompress(data, encoding, Math.min(atOnceBytes, maxBytes))
  return whole instanceof PayloadError ? undefined : whole
}
