/**
 * Datums as the intake reads them off the wire. The shapes follow `Datum.ts`, except that every 64-bit field
 * (int_value, dictionary and pattern ids, timestamps) is a `WireInt`: the exact value, never rounded through
 * a double. Two kinds the sender never produces are kept so the decoder can name them.
 */

/**
 * An exact 64-bit integer: a `number` when it is a safe integer (|v| ≤ 2^53 − 1), a `bigint` otherwise.
 * One value has one representation, so `WireInt`s are usable as `Map` keys.
 */
export type WireInt = number | bigint

export type DecodedValue =
  | { readonly _tag: "Int"; readonly value: WireInt }
  | { readonly _tag: "Float"; readonly value: number }
  | { readonly _tag: "String"; readonly value: string }
  | { readonly _tag: "DictIndex"; readonly id: WireInt }

/** `undefined` = no TagSet (same tags as before); `null` = a TagSet without a value (no tags). */
export type DecodedTags = DecodedValue | null | undefined

export type DecodedContent =
  | { readonly _tag: "Raw"; readonly raw: string }
  | { readonly _tag: "Structured"; readonly patternId: WireInt; readonly values: ReadonlyArray<DecodedValue> }

export type DecodedDatum =
  | {
    readonly _tag: "Log"
    readonly timestamp: WireInt
    readonly content: DecodedContent
    readonly tags: DecodedTags
    readonly uuid: string | undefined
    readonly status: DecodedValue | undefined
  }
  | {
    readonly _tag: "PatternDefine"
    readonly patternId: WireInt
    readonly template: string
    readonly paramCount: number
    readonly posList: ReadonlyArray<number>
  }
  | { readonly _tag: "PatternDelete"; readonly patternId: WireInt }
  | { readonly _tag: "DictEntryDefine"; readonly id: WireInt; readonly value: string }
  | { readonly _tag: "DictEntryDelete"; readonly id: WireInt }
  | { readonly _tag: "DeltaEncodingSync"; readonly timestamp: WireInt; readonly patternId: WireInt; readonly tags: DecodedTags }
  /** A datum whose oneof carries no member. */
  | { readonly _tag: "Empty" }
  /** A log with neither raw nor structured content. */
  | { readonly _tag: "ContentlessLog" }
