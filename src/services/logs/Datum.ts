/**
 * Domain model of contract A's datums (wire contract: ../shared/specs/wire-contract.md). Reducers and
 * encoders work on these plain values; only `DatumWire.ts` knows the protobuf shapes.
 */

/** A value of a log field: int, float, string, or a reference into the stream's dictionary. */
export type DynamicValue =
  /** A bigint beyond 2^53, so that every int64 crosses the wire exactly. */
  | { readonly _tag: "Int"; readonly value: number | bigint }
  | { readonly _tag: "Float"; readonly value: number }
  | { readonly _tag: "String"; readonly value: string }
  | { readonly _tag: "DictIndex"; readonly id: number }

export const DynamicValue = {
  int: (value: number | bigint): DynamicValue => ({ _tag: "Int", value }),
  float: (value: number): DynamicValue => ({ _tag: "Float", value }),
  string: (value: string): DynamicValue => ({ _tag: "String", value }),
  dict: (id: number): DynamicValue => ({ _tag: "DictIndex", id })
} as const

/** Log content: raw text, or a pattern reference with the values to insert into its template. */
export type LogContent =
  | { readonly _tag: "Raw"; readonly raw: string }
  | {
    readonly _tag: "Structured"
    /** 0 means "the last pattern" of the batch. */
    readonly patternId: number
    readonly values: ReadonlyArray<DynamicValue>
  }

/**
 * Tags on the wire: `undefined` = no TagSet ("same tags as the previous log"); `null` = a TagSet without a
 * value (explicitly no tags); otherwise the joined tag string or its dictionary reference.
 */
export type WireTags = DynamicValue | null | undefined

export interface LogDatum {
  readonly _tag: "Log"
  /** Absolute unix ms on the first log of a batch, a signed delta afterwards (0 = same as previous). */
  readonly timestamp: number
  readonly content: LogContent
  readonly tags: WireTags
  readonly uuid: string | undefined
  /** Not delta-encoded: `undefined` means no status. */
  readonly status: DynamicValue | undefined
}

export interface PatternDefine {
  readonly _tag: "PatternDefine"
  readonly patternId: number
  readonly template: string
  readonly paramCount: number
  /** UTF-8 byte offsets into `template`, non-decreasing. */
  readonly posList: ReadonlyArray<number>
}

export interface PatternDelete {
  readonly _tag: "PatternDelete"
  readonly patternId: number
}

export interface DictEntryDefine {
  readonly _tag: "DictEntryDefine"
  readonly id: number
  readonly value: string
}

export interface DictEntryDelete {
  readonly _tag: "DictEntryDelete"
  readonly id: number
}

/** Declared by the contract for seeding delta state; accepted and applied by the decoder. */
export interface DeltaEncodingSync {
  readonly _tag: "DeltaEncodingSync"
  readonly timestamp: number
  readonly patternId: number
  readonly tags: WireTags
}

export type Datum = LogDatum | PatternDefine | PatternDelete | DictEntryDefine | DictEntryDelete | DeltaEncodingSync

/** True for the datums a snapshot (batch 0) may hold. */
export const isDefine = (d: Datum): d is PatternDefine | DictEntryDefine =>
  d._tag === "PatternDefine" || d._tag === "DictEntryDefine"
