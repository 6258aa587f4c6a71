/**
 * A compressed batch payload inflated a chunk at a time on zlib's thread pool, as the reader asks for it: zlib
 * fills at most one chunk ahead of the reader (the stream's high-water mark is one chunk), so a batch that the
 * reader rejects early (a limit crossed) stops its decompression there, and no payload is ever inflated whole.
 * Each chunk is a short job on the thread pool, so file writes never queue behind a whole payload being
 * inflated; the main thread only hands chunks over.
 */
import { Effect, type Scope } from "effect"
import * as Zlib from "node:zlib"
import {
  type ContentEncoding,
  decompressError,
  inflateChunkBytes,
  zstdAvailable,
  zstdUnavailable
} from "../../services/logs/ContentEncoding.js"
import type { PayloadError } from "../../services/logs/errors.js"

export interface PayloadInflater {
  /** The next chunk of the decompressed payload; `undefined` after the last one. */
  readonly next: Effect.Effect<Uint8Array | undefined, PayloadError>
}

/**
 * Starts inflating `data` (an identity payload is its one chunk); closing the scope stops the decompression
 * wherever it is. `maxBytes` only names the limit in an error (the reader counts the bytes and stops there).
 */
export const openPayloadInflater = (
  data: Uint8Array,
  encoding: ContentEncoding,
  maxBytes: number
): Effect.Effect<PayloadInflater, never, Scope.Scope> => {
  if (encoding === "identity") {
    let given = false
    return Effect.succeed({ next: Effect.sync(() => (given ? undefined : (given = true, data))) })
  }
  if (encoding === "zstd" && !zstdAvailable) return Effect.succeed({ next: Effect.fail(zstdUnavailable()) })
  return Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => {
        const options = { chunkSize: inflateChunkBytes, readableHighWaterMark: inflateChunkBytes }
        let failure: PayloadError | undefined
        let ended = false
        let wake: (() => void) | undefined
        // The input a finished engine did not read: more zstd frames (see below) or, for gzip, nothing.
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
