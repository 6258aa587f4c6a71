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
        const z = encoding === "gzip" ? Zlib.createGunzip(options) : Zlib.createZstdDecompress(options)
        let failure: PayloadError | undefined
        let ended = false
        let wake: (() => void) | undefined
        z.on("readable", () => wake?.())
        z.on("end", () => {
          ended = true
          wake?.()
        })
        z.on("error", (cause) => {
          failure = decompressError(cause, encoding, maxBytes)
          wake?.()
        })
        z.end(data)
        const next = Effect.async<Uint8Array | undefined, PayloadError>((resume) => {
          const ready = (): boolean => {
            if (failure !== undefined) resume(Effect.fail(failure))
            else {
              const chunk = z.read() as Buffer | null
              if (chunk !== null) resume(Effect.succeed(chunk))
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
        return { z, next }
      }),
      ({ z }) => Effect.sync(() => z.destroy())
    ),
    ({ next }) => ({ next })
  )
}
