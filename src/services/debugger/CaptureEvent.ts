/**
 * The capture-event input model: what a capture source (a probe runtime, a recorder) writes, one JSON
 * object per probe hit. Language-neutral and able to express pointer graphs: pointers name an address,
 * and the event's `heap` maps addresses to the captured items, so sharing and cycles are plain data.
 * The public description with examples is docs/capture-events.md.
 */
import { Schema } from "effect"

/** Hex address of a heap item, lower case, e.g. `0xc000012000`. */
export const Address = Schema.String.pipe(
  Schema.pattern(/^0x[0-9a-f]{1,16}$/, { message: () => "an address is 0x followed by 1 to 16 lower-case hex digits" })
)

/** A source-language type name (`int`, `*main.node`, `Object`). */
export const TypeName = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(1024))

const Count = Schema.Int.pipe(Schema.nonNegative())

/** Why a capture source could not capture a value (the subset of reasons a source may report). */
export const SourceReason = Schema.Literal(
  "unavailable",
  "depth",
  "unimplemented",
  "timeout",
  "redactedIdent",
  "redactedType",
  "missingTypeInformation",
  "tooManyPointers"
)
export type SourceReason = typeof SourceReason.Type

export type Value =
  | ScalarValue
  | StringValue
  | NullValue
  | PointerValue
  | StructValue
  | ArrayValue
  | MapValue
  | InterfaceValue
  | UnavailableValue

export interface ScalarValue {
  readonly kind: "scalar"
  readonly type: string
  /** Numbers and booleans as JSON; strings for exact big integers, `NaN`, `+Inf`, complex numbers. */
  readonly value: number | boolean | string
}
export interface StringValue {
  readonly kind: "string"
  readonly type?: string | undefined
  readonly value: string
  /** Original length in code points when the source captured only a prefix. */
  readonly size?: number | undefined
}
export interface NullValue {
  readonly kind: "null"
  readonly type: string
}
export interface PointerValue {
  readonly kind: "pointer"
  readonly type: string
  readonly address: string
}
export interface StructValue {
  readonly kind: "struct"
  readonly type: string
  readonly fields: ReadonlyArray<readonly [string, Value]>
  /** Original number of fields when the source captured only some. */
  readonly fieldCount?: number | undefined
}
export interface ArrayValue {
  readonly kind: "array"
  readonly type: string
  readonly elements: ReadonlyArray<Value>
  /** Original length when the source captured only a prefix. */
  readonly length?: number | undefined
}
export interface MapValue {
  readonly kind: "map"
  readonly type: string
  readonly entries: ReadonlyArray<readonly [Value, Value]>
  readonly length?: number | undefined
}
export interface InterfaceValue {
  readonly kind: "interface"
  readonly type: string
  /** The dynamic value; a nil interface is a `null` value of the interface type instead. */
  readonly value: Value
}
export interface UnavailableValue {
  readonly kind: "unavailable"
  readonly type?: string | undefined
  readonly reason: SourceReason
  /** Human detail; never part of the reason. */
  readonly detail?: string | undefined
}

const value = Schema.suspend((): Schema.Schema<Value> => Value)

export const ScalarValue = Schema.Struct({
  kind: Schema.Literal("scalar"),
  type: TypeName,
  value: Schema.Union(Schema.Number, Schema.Boolean, Schema.String.pipe(Schema.maxLength(4096)))
})
export const StringValue = Schema.Struct({
  kind: Schema.Literal("string"),
  type: Schema.optional(TypeName),
  value: Schema.String,
  size: Schema.optional(Count)
})
export const NullValue = Schema.Struct({ kind: Schema.Literal("null"), type: TypeName })
export const PointerValue = Schema.Struct({ kind: Schema.Literal("pointer"), type: TypeName, address: Address })
const uniqueNames = (fields: ReadonlyArray<readonly [string, unknown]>): boolean => {
  if (fields.length < 2) return true
  const seen = new Set<string>()
  for (const [name] of fields) {
    if (seen.has(name)) return false
    seen.add(name)
  }
  return true
}

export const StructValue = Schema.Struct({
  kind: Schema.Literal("struct"),
  type: TypeName,
  /** Ordered fields; names are unique (a JSON object cannot repeat a key). */
  fields: Schema.Array(Schema.Tuple(Schema.String.pipe(Schema.maxLength(1024)), value)).pipe(
    Schema.filter(uniqueNames, { message: () => "field names of a struct are unique" })
  ),
  fieldCount: Schema.optional(Count)
})
export const ArrayValue = Schema.Struct({
  kind: Schema.Literal("array"),
  type: TypeName,
  elements: Schema.Array(value),
  length: Schema.optional(Count)
})
export const MapValue = Schema.Struct({
  kind: Schema.Literal("map"),
  type: TypeName,
  entries: Schema.Array(Schema.Tuple(value, value)),
  length: Schema.optional(Count)
})
export const InterfaceValue = Schema.Struct({ kind: Schema.Literal("interface"), type: TypeName, value })
export const UnavailableValue = Schema.Struct({
  kind: Schema.Literal("unavailable"),
  type: Schema.optional(TypeName),
  reason: SourceReason,
  detail: Schema.optional(Schema.String.pipe(Schema.maxLength(1024)))
})

/** A captured value (recursive tagged union on `kind`). */
export const Value: Schema.Schema<Value> = Schema.Union(
  ScalarValue,
  StringValue,
  NullValue,
  PointerValue,
  StructValue,
  ArrayValue,
  MapValue,
  InterfaceValue,
  UnavailableValue
)

/** Per-probe capture limits; unset fields take the defaults in Limits.ts. */
export const CaptureLimits = Schema.Struct({
  maxReferenceDepth: Schema.optional(Schema.Int.pipe(Schema.between(0, 32))),
  maxCollectionSize: Schema.optional(Schema.Int.pipe(Schema.between(0, 100_000))),
  maxFieldCount: Schema.optional(Schema.Int.pipe(Schema.between(0, 10_000))),
  maxLength: Schema.optional(Schema.Int.pipe(Schema.between(0, 1_048_576)))
})
export type CaptureLimits = typeof CaptureLimits.Type

export const ProbeLocation = Schema.Struct({
  method: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  file: Schema.optional(Schema.String),
  lines: Schema.optional(Schema.Array(Schema.Int.pipe(Schema.positive())))
})

export const Probe = Schema.Struct({
  id: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256)),
  version: Count,
  location: ProbeLocation,
  capture: Schema.optional(CaptureLimits),
  /** Message template with `{expr}` segments; `{{` and `}}` are literal braces. */
  template: Schema.optional(Schema.String.pipe(Schema.maxLength(8192))),
  /** false for log probes: message only, no captures. Default true. */
  captureSnapshot: Schema.optional(Schema.Boolean),
  sampling: Schema.optional(Schema.Struct({ snapshotsPerSecond: Schema.optional(Schema.Number.pipe(Schema.positive())) }))
})
export type Probe = typeof Probe.Type

export const SymbolizedFrame = Schema.Struct({
  function: Schema.String,
  file: Schema.String,
  line: Count,
  column: Schema.optional(Count)
})
export const RawFrame = Schema.Struct({ pc: Address })
export const Frame = Schema.Union(SymbolizedFrame, RawFrame)
export type Frame = typeof Frame.Type

export const Thread = Schema.Struct({ id: Count, name: Schema.optional(Schema.String) })

export const TraceContext = Schema.Struct({
  /** 128-bit trace id: up to 32 hex digits, or decimal digits. */
  traceId: Schema.String.pipe(Schema.pattern(/^(?:[0-9a-fA-F]{1,32}|[0-9]{1,39})$/)),
  /** 64-bit span id in decimal. */
  spanId: Schema.String.pipe(Schema.pattern(/^[0-9]{1,20}$/))
})

export const EvaluationError = Schema.Struct({ expr: Schema.String, message: Schema.String })
export type EvaluationError = typeof EvaluationError.Type

const variables = <A, I, R>(v: Schema.Schema<A, I, R>) => Schema.Record({ key: Schema.String, value: v })

/** A capture context (`entry`, `return`, `lines[n]`) parameterised by the value schema. */
export const contextOf = <A, I, R>(v: Schema.Schema<A, I, R>) =>
  Schema.Struct({
    arguments: Schema.optional(variables(v)),
    locals: Schema.optional(variables(v)),
    captureExpressions: Schema.optional(variables(v)),
    /** Return values: one is emitted as `locals["@return"]`, several as a tuple with fields r0, r1, … */
    returns: Schema.optional(Schema.Array(v))
  })

export const LineNumberKey = Schema.String.pipe(
  Schema.pattern(/^[1-9][0-9]{0,8}$/, { message: () => "a line capture is keyed by a positive line number" })
)

/** The capture event parameterised by the value schema (strict: Value; lenient decoding: Unknown). */
export const eventOf = <A, I, R>(v: Schema.Schema<A, I, R>) =>
  Schema.Struct({
    probe: Probe,
    pid: Schema.Int.pipe(Schema.positive()),
    language: Schema.String.pipe(Schema.minLength(1)),
    /** Milliseconds since the Unix epoch. */
    timestamp: Schema.Number.pipe(Schema.nonNegative(), Schema.finite()),
    /** Nanoseconds between entry and return, when known. */
    duration: Schema.optional(Schema.Number.pipe(Schema.nonNegative(), Schema.finite())),
    thread: Thread,
    trace: Schema.optional(TraceContext),
    stack: Schema.optional(Schema.Array(Frame)),
    captures: Schema.optional(
      Schema.Struct({
        entry: Schema.optional(contextOf(v)),
        return: Schema.optional(contextOf(v)),
        lines: Schema.optional(Schema.Record({ key: LineNumberKey, value: contextOf(v) }))
      })
    ),
    heap: Schema.optional(Schema.Record({ key: Address, value: v })),
    evaluationErrors: Schema.optional(Schema.Array(EvaluationError))
  })

/** A capture event with fully validated values. */
export const CaptureEvent = eventOf(Value)
export type CaptureEvent = typeof CaptureEvent.Type
export type CaptureContext = NonNullable<NonNullable<CaptureEvent["captures"]>["entry"]>
