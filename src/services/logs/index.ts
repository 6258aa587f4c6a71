/**
 * The logs concern's public API: the sender (service, settings, errors), the transport port it runs over, the
 * reference intake's output port and settings, and the pure codecs a user may call directly (batch encoding,
 * compression, the delta encoder and the stream decoder). The worker, batcher, translator and tables behind
 * them are internal.
 */

// The sender.
/** The logs sender service, its report and a constructor over a `StreamTransport`. */
export { type LogsSenderService, LogsSender, makeSender, type SenderStatus, type SendReport } from "./Sender.js"
/** Sender settings: the Schema, its decoder and the defaults. */
export { decodeSenderConfig, defaultSenderConfig, type SenderConfig, type SenderConfigInput, SenderConfigSchema } from "./SenderConfig.js"
/** A log as offered to the sender, with the input position acknowledged back once it is delivered. */
export type { LogMessage, SourcePosition } from "./LogMessage.js"
/** The port the sender streams over (grpc-js in `LogsLayers`, or a fake). */
export { type StreamEnd, type StreamHandlers, type StreamSession, StreamTransport } from "./StreamTransport.js"

// The reference intake.
/** Where the intake writes the logs it reconstructs. */
export { IntakeOutput, IntakeOutputError } from "./IntakeOutput.js"
/** The intake's settings, their defaults and its counters. */
export { type IntakeFaults, intakeDefaults, type IntakeOptions, type IntakeStats } from "./IntakeOptions.js"

/** Typed errors of the codec, the decoder and the sender. */
export {
  classifyStatus,
  EndpointUnauthorized,
  type FailureClass,
  LogRejected,
  PayloadError,
  SenderConfigError,
  SenderStopped,
  StreamFailure,
  StreamProtocolError
} from "./errors.js"

// Pure codecs.
/** Datums: the stream's unit (logs, dictionary and pattern definitions). */
export { type Datum, DynamicValue, type LogDatum } from "./Datum.js"
/** A batch's datums to and from their wire bytes. */
export { decodeBatchData, encodeBatchData, type EncodedBatchData } from "./BatchCodec.js"
/** Batch compression (zstd or identity). */
export { compress, type ContentEncoding, contentEncodings, decompress, parseContentEncoding, zstdAvailable } from "./ContentEncoding.js"
/** Logs to datums, with the stream's dictionary (the sender's encoder). */
export { DeltaEncoder, type LogRecord } from "./DeltaEncoder.js"
/** Datums back to logs, with the stream's state (the intake's decoder). */
export { type DecodeLimits, defaultDecodeLimits, type ReconstructedLog, StreamDecoder, type StreamDecoderStats } from "./StreamDecoder.js"
