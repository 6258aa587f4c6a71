/**
 * The closed vocabulary of `notCapturedReason` values the encoder emits. camelCase throughout, except
 * the cycle marker, which keeps the Go producer's wording so existing consumers recognise it.
 */
export const notCapturedReasons = [
  "depth",
  "collectionSize",
  "fieldCount",
  "pruned",
  "unavailable",
  "unimplemented",
  "timeout",
  "redactedIdent",
  "redactedType",
  "missingTypeInformation",
  "tooManyPointers",
  "circular reference"
] as const
export type NotCapturedReason = (typeof notCapturedReasons)[number]

export const isNotCapturedReason = (s: unknown): s is NotCapturedReason =>
  typeof s === "string" && (notCapturedReasons as ReadonlyArray<string>).includes(s)

/** Which limit cut a string (`truncatedBy`): the probe's maxLength, or the capture source itself. */
export const truncationCauses = ["maxLength", "capture"] as const
export type TruncationCause = (typeof truncationCauses)[number]
