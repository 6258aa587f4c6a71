/**
 * Effective encoding limits: the probe's capture limits over the defaults, plus encoder-wide bounds.
 */
import type { CaptureLimits } from "./CaptureEvent.js"

export interface Limits {
  /** Nesting below a variable: each struct field, element, map key/value and pointer hop is one level. */
  readonly maxReferenceDepth: number
  /** Elements of an array / entries of a map kept. */
  readonly maxCollectionSize: number
  /** Fields of a struct kept. */
  readonly maxFieldCount: number
  /** Code points of a string kept. */
  readonly maxLength: number
}

export const defaultLimits: Limits = {
  maxReferenceDepth: 3,
  maxCollectionSize: 100,
  maxFieldCount: 20,
  maxLength: 255
}

export const resolveLimits = (capture: CaptureLimits | undefined): Limits => ({
  maxReferenceDepth: capture?.maxReferenceDepth ?? defaultLimits.maxReferenceDepth,
  maxCollectionSize: capture?.maxCollectionSize ?? defaultLimits.maxCollectionSize,
  maxFieldCount: capture?.maxFieldCount ?? defaultLimits.maxFieldCount,
  maxLength: capture?.maxLength ?? defaultLimits.maxLength
})

export interface EncoderOptions {
  /** Byte budget of one encoded message (UTF-8). */
  readonly byteBudget: number
  /** Variables kept per scope (arguments, locals, captureExpressions of one context). */
  readonly maxVariablesPerScope: number
  /** Stack frames kept. */
  readonly maxStackFrames: number
}

export const defaultEncoderOptions: EncoderOptions = {
  byteBudget: 1024 * 1024,
  maxVariablesPerScope: 256,
  maxStackFrames: 128
}

/**
 * Values nested below a variable that are followed at most (pointer hops and containers alike): chains of
 * pointers and interfaces consume no reference depth, and this keeps the recursive encoders' stack bounded.
 */
export const maxValueNesting = 256

/** Message rendering limits (bytes of the whole message, items shown per collection / struct). */
export const messageLimits = { maxBytes: 8192, collectionItems: 3, structFields: 5 } as const
