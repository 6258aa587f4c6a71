/**
 * `StatefulBatch.data` as a whole: datums ⇄ DatumSequence bytes ⇄ compressed payload.
 */
import { compress, type ContentEncoding, decompress, defaultMaxPayloadBytes } from "./ContentEncoding.js"
import type { Datum } from "./Datum.js"
import type { DecodedDatum } from "./DecodedDatum.js"
import { decodeDatumSequence } from "./DatumReader.js"
import { withDatumSequence } from "./DatumWire.js"
import { PayloadError } from "./errors.js"

export interface EncodedBatchData {
  /** The bytes that go in `StatefulBatch.data`. */
  readonly data: Uint8Array
  /** Size of the serialized DatumSequence before compression. */
  readonly uncompressedBytes: number
}

export const encodeBatchData = (
  datums: ReadonlyArray<Datum>,
  encoding: ContentEncoding,
  level = 1
): EncodedBatchData =>
  withDatumSequence(datums, (raw) => {
    // A compressor reads the serialized bytes in place and returns its own; identity must keep a copy of them.
    const data = compress(raw, encoding, level)
    return { data: data === raw ? Buffer.from(raw) : data, uncompressedBytes: raw.length }
  })

export const decodeBatchData = (
  data: Uint8Array,
  encoding: ContentEncoding,
  maxBytes = defaultMaxPayloadBytes
): ReadonlyArray<DecodedDatum> | PayloadError => {
  const raw = decompress(data, encoding, maxBytes)
  if (raw instanceof PayloadError) return raw
  return decodeDatumSequence(raw)
}
