/**
 * The debugger concern's public API: capture events (the Schema of captured value graphs) and their decoder,
 * the snapshot encoder service with its limits, the ports it needs (process identity, snapshot ids), the
 * uploader and the snapshot pipeline that ties them together, per-probe rate limits, and the typed errors.
 * Batching, token buckets, diagnostics bookkeeping and the message renderer's pieces are internal.
 */
/** Captured events: the Schema of a probe hit with its captured values, and its JSON-lines decoder. */
export {
  ArrayValue,
  CaptureEvent,
  CaptureLimits,
  EvaluationError,
  Frame,
  InterfaceValue,
  MapValue,
  NullValue,
  PointerValue,
  Probe,
  ScalarValue,
  StringValue,
  StructValue,
  Thread,
  UnavailableValue,
  Value
} from "./CaptureEvent.js"
export { decodeEvent, decodeEventLine, maxJsonNesting, maxLineBytes } from "./EventDecoder.js"
/** The encoder of snapshot messages and its limits. */
export { type EncodedEvent, layer as layerSnapshotEncoder, makeSnapshotEncoder, SnapshotEncoder } from "./SnapshotEncoder.js"
export { defaultEncoderOptions, defaultLimits, type EncoderOptions, type Limits, resolveLimits } from "./Limits.js"
/** Who a process is (service, env, version), as the encoder asks for it (layers in `DebuggerLayers`). */
export { type ProcessFacts, ProcessFactsFile, type ProcessIdentity, ProcessInfo, resolveProcessIdentity } from "./ProcessInfo.js"
/** Snapshot ids (random or sequential layers in `DebuggerLayers`). */
export { SnapshotIds } from "./SnapshotIds.js"
/** The uploader port, its settings and counters (the HTTP layer is in `DebuggerLayers`). */
export { defaultAgentEndpoint, Uploader, type UploaderConfig, uploaderConfig, type UploadStats } from "./Uploader.js"
/** Events in, encoded and rate-limited snapshots uploaded. */
export { layerPipeline, makeSnapshotPipeline, type PipelineCounts, SnapshotPipeline } from "./Pipeline.js"
/** Per-probe rate limits. */
export { layerRateLimiter, layerUnlimited, makeProbeRateLimiter, ProbeRateLimiter } from "./RateLimiter.js"
/** Typed errors. */
export {
  InvalidCaptureEvent,
  InvalidUploaderConfig,
  type SnapshotEncodeError,
  SnapshotTooLarge,
  UnknownProcess,
  UploadError
} from "./errors.js"
