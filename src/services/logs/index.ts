/**
 * Logs: the stateful, delta-encoded, compressed gRPC log stream (wire contract A).
 */
export * from "./BatchCodec.js"
export * from "./ContentEncoding.js"
export * from "./Datum.js"
export { encodeDatumSequence } from "./DatumWire.js"
export { DatumReader, decodeDatumSequence } from "./DatumReader.js"
export type * from "./DecodedDatum.js"
export * from "./DeltaEncoder.js"
export * from "./errors.js"
export { compilePattern, type CompiledPattern, rebuild } from "./Pattern.js"
export * from "./StreamDecoder.js"

// The sender: translation, batching, inflight tracking, the stream worker and its driver.
/** A log as handed to the sender. */
export type { LogMessage, SourcePosition } from "./LogMessage.js"
/** Sender-side string dictionary: bounded, coldest entries evicted first, deletes wait for unacknowledged batches. */
export * from "./Dictionary.js"
/** LogMessage → dictionary definitions + log record; content raw or through pattern extraction. */
export * from "./Translator.js"
/** Per-batch reference counting of dictionary entries and patterns (deletes wait for acknowledgements). */
export * from "./StateRef.js"
/**
 * Pattern extraction: tokenizer, clusterer, bounded pattern table, value typing, and the content translator
 * that sends a log as a pattern id plus typed values.
 */
export * from "./patterns/index.js"
/** Batches (max entries / content bytes / wait), per-batch delta encoding, compression. */
export * from "./Batcher.js"
export type { Payload } from "./Payload.js"
/** FIFO of payloads with sent/unsent regions, bounded by count and bytes, and the acknowledged snapshot. */
export * from "./InflightTracker.js"
/** The pure stream worker reducer: phases, events, commands, backoff and jitter. */
export * as StreamWorkerMachine from "./StreamWorkerMachine.js"
/** The port a stream worker talks through (gRPC live layer, in-memory fake for tests). */
export * from "./StreamTransport.js"
/** The driver fiber of one stream worker, and the N-worker sender service. */
export * from "./StreamWorker.js"
export * from "./Sender.js"
/** Sender settings with defaults and validation. */
export * from "./SenderConfig.js"
/** Typed errors and the contract's gRPC error classes. */
/** Effect metrics of the sender. */
export * as SenderMetrics from "./metrics.js"
