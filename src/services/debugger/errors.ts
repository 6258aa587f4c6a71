/**
 * Typed errors of the debugger concern.
 */
import { Schema } from "effect"

/** A capture-event line that is not valid input: the line, the path inside it and the rule it broke. */
export class InvalidCaptureEvent extends Schema.TaggedError<InvalidCaptureEvent>()("InvalidCaptureEvent", {
  line: Schema.Number,
  message: Schema.String
}) {}

/** Even with every value pruned, the fixed part of the message does not fit the byte budget. */
export class SnapshotTooLarge extends Schema.TaggedError<SnapshotTooLarge>()("SnapshotTooLarge", {
  probeId: Schema.String,
  bytes: Schema.Number,
  budget: Schema.Number
}) {
  override get message(): string {
    return `snapshot of probe ${this.probeId} needs ${this.bytes} bytes with every value pruned; budget is ${this.budget}`
  }
}

/** No service name could be derived for the event's process. */
export class UnknownProcess extends Schema.TaggedError<UnknownProcess>()("UnknownProcess", {
  pid: Schema.Number
}) {
  override get message(): string {
    return `pid ${this.pid}: no tracer metadata, DD_SERVICE or executable name to name its service`
  }
}

export type SnapshotEncodeError = SnapshotTooLarge | UnknownProcess

/**
 * One HTTP attempt failed; `retryable` decides whether the uploader tries again: network failures,
 * timeouts, 408, 429 and 5xx are retried, other 4xx are not (the same request would fail the same way).
 */
export class UploadError extends Schema.TaggedError<UploadError>()("UploadError", {
  status: Schema.optional(Schema.Number),
  reason: Schema.Literal("Status", "ConnectionRefused", "Timeout", "Network"),
  detail: Schema.String
}) {
  get retryable(): boolean {
    if (this.reason !== "Status") return true
    return this.status === 408 || this.status === 429 || (this.status !== undefined && this.status >= 500)
  }
  override get message(): string {
    switch (this.reason) {
      case "Status":
        return `HTTP ${this.status}${this.detail === "" ? "" : `: ${this.detail}`}`
      case "ConnectionRefused":
        return `connection refused (${this.detail})`
      case "Timeout":
        return `no response within ${this.detail}`
      case "Network":
        return this.detail
    }
  }
}

/** The uploader's configuration was rejected. */
export class InvalidUploaderConfig extends Schema.TaggedError<InvalidUploaderConfig>()("InvalidUploaderConfig", {
  message: Schema.String
}) {}
