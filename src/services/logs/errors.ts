/** Typed errors of the logs subsystem: the stream codec and decoder, and the sender. */
import { Data } from "effect"

/** A batch payload that cannot be turned into datums. */
export class PayloadError extends Data.TaggedError("PayloadError")<{
  readonly reason: "Corrupt" | "Oversized" | "UnknownEncoding" | "Malformed"
  readonly message: string
  readonly cause?: unknown
}> {}

/** Datums that break the stream's rules (ids, references, batch order). */
export class StreamProtocolError extends Data.TaggedError("StreamProtocolError")<{
  readonly reason:
    | "BatchIdGap"
    | "DuplicateSnapshot"
    | "SnapshotNotDefinesOnly"
    | "UnknownDictId"
    | "UnknownPattern"
    | "PosListOutOfRange"
    | "PosListNotAscending"
    | "ParamCountMismatch"
    | "MissingContent"
    | "InvalidValue"
    | "LimitExceeded"
  readonly message: string
  readonly batchId: number
}> {}

// The sender.

/** A log the sender refused; nothing else is lost (the definitions it triggered are still delivered). */
export class LogRejected extends Data.TaggedError("LogRejected")<{
  readonly reason: "TooLarge" | "TagContainsComma" | "InvalidTimestamp"
  readonly message: string
}> {}

/** Input offered after shutdown began. */
export class SenderStopped extends Data.TaggedError("SenderStopped")<{
  readonly message: string
}> {}

/** Invalid sender configuration, naming the setting and the rule it broke. */
export class SenderConfigError extends Data.TaggedError("SenderConfigError")<{
  readonly setting: string
  readonly message: string
}> {}

/** How the sender treats a stream's end or failure (wire contract, "Error classes"). */
export type FailureClass = "transient" | "fatal" | "protocol"

/** Why a stream could not be opened or why it ended, with its gRPC status code. */
export class StreamFailure extends Data.TaggedError("StreamFailure")<{
  readonly code: number
  readonly details: string
}> {
  get failureClass(): FailureClass {
    return classifyStatus(this.code)
  }
}

/** gRPC status codes (numbers fixed by the gRPC spec), kept here so the core does not import grpc-js. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16
} as const

/** The contract's error classes; unlisted codes are treated as transient (retried with backoff). */
export const classifyStatus = (code: number): FailureClass => {
  switch (code) {
    case GrpcCode.UNAUTHENTICATED:
    case GrpcCode.PERMISSION_DENIED:
      return "fatal"
    case GrpcCode.INVALID_ARGUMENT:
    case GrpcCode.FAILED_PRECONDITION:
    case GrpcCode.OUT_OF_RANGE:
    case GrpcCode.UNIMPLEMENTED:
      return "protocol"
    default:
      return "transient"
  }
}

/** The endpoint refused the credentials: the worker stopped retrying it. */
export class EndpointUnauthorized extends Data.TaggedError("EndpointUnauthorized")<{
  readonly code: number
  readonly message: string
}> {}
