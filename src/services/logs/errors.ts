/** Typed errors of the logs stream codec and decoder. */
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
