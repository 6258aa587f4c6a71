/**
 * Dynamic Instrumentation snapshots: the capture-event input model, the snapshot encoder (a pure core
 * with limits, cycle marking and a byte budget), message rendering, process identity, per-probe rate
 * limits, probe diagnostics, batching and the uploader port. Live adapters are in DebuggerLayers.
 */

/** Capture-event input model (Schemas and types): values, probes, capture contexts, heap. */
export * from "./CaptureEvent.js"
/** Effective capture limits, encoder-wide bounds and message caps. */
export * from "./Limits.js"
/** The closed `notCapturedReason` vocabulary and `truncatedBy` causes. */
export * from "./Reasons.js"
/** Pure snapshot encoder: event + identity + id → message JSON within the byte budget. */
export { encodeSnapshot, traceIdHex } from "./Envelope.js"
export type { EncodedSnapshot } from "./Envelope.js"
/** Template and default message rendering. */
export { parseTemplate, renderMessage } from "./Message.js"
export type { RenderedMessage, Segment } from "./Message.js"
/** JSON-line decoding with per-value error isolation. */
export { decodeEvent, decodeEventLine, describeParseError, maxJsonNesting, maxLineBytes } from "./EventDecoder.js"
/** Process identity port and its precedence rule. */
export * from "./ProcessInfo.js"
/** Snapshot id port. */
export * from "./SnapshotIds.js"
/** The encoder service over the ProcessInfo and SnapshotIds ports. */
export { layer as layerSnapshotEncoder, makeSnapshotEncoder, SnapshotEncoder } from "./SnapshotEncoder.js"
export type { EncodedEvent } from "./SnapshotEncoder.js"
/** Token bucket and per-probe rate limiter. */
export * from "./TokenBucket.js"
export * from "./RateLimiter.js"
/** Upload batching (pure), diagnostics, uploader port and configuration. */
export * from "./Batcher.js"
export * from "./Diagnostics.js"
export * from "./Uploader.js"
/** Rate limit → encode → upload, with diagnostics. */
export * from "./Pipeline.js"
/** Typed errors. */
export * from "./errors.js"
/** Bounded JSON-lines splitting. */
export * from "./LineSplitter.js"
