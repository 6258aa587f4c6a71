/**
 * msgpack → TracerMetadata, field by field. Unlike a whole-struct decoder, one field of the wrong type
 * (a writer emitting nil for None, a `bin` string, an overflowing schema_version) is dropped and reported
 * as a {@link FieldIssue}; every other field survives. Unknown keys are ignored but their names are kept
 * aside (forward compatibility, diagnostics). A repeated key keeps its last value; bytes after the map
 * are ignored. An empty, non-map, corrupt or over-limit payload is a typed error.
 */
import { decodeMulti, ExtData } from "@msgpack/msgpack"
import { Either, Schema } from "effect"
import { TracerMetadataTooLarge, TracerMetadataUndecodable, type TracerMetadataPayloadError } from "./errors.js"
import { emptyTracerMetadata, type TracerMetadata } from "./TracerMetadata.js"

/** Readers refuse payloads larger than this (the producers' contract). */
export const TRACER_METADATA_MAX_BYTES = 64 * 1024
/** How many unknown key names are remembered (the count is always exact). */
const MAX_UNKNOWN_KEY_NAMES = 32

/** One field that was present but dropped because its msgpack type broke the field's rule. */
export const FieldIssue = Schema.Struct({
  field: Schema.String,
  expected: Schema.String,
  received: Schema.String
}).annotations({ identifier: "TracerMetadataFieldIssue" })
export type FieldIssue = typeof FieldIssue.Type

export interface DecodedTracerMetadata {
  readonly metadata: TracerMetadata
  readonly issues: ReadonlyArray<FieldIssue>
  /** Names of keys this decoder does not know (at most 32 kept). */
  readonly unknownKeys: ReadonlyArray<string>
  readonly unknownKeyCount: number
}

/** A short name for the msgpack type a decoded value came from. */
const describe = (v: unknown): string => {
  if (v === null) return "nil"
  if (typeof v === "string") return "str"
  if (typeof v === "boolean") return "bool"
  if (typeof v === "number") return Number.isInteger(v) ? (v < 0 ? "negative int" : "int") : "float"
  if (typeof v === "bigint") return "int"
  if (v instanceof Uint8Array) return "bin"
  if (v instanceof ExtData) return `ext(${v.type})`
  if (v instanceof Date) return "timestamp"
  if (Array.isArray(v)) return "array"
  if (typeof v === "object") return "map"
  return typeof v
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Assign = (out: Mutable<TracerMetadata>, value: unknown) => string | undefined // an expectation when rejected

const requiredString = (key: "tracer_language" | "tracer_version" | "hostname"): Assign => (out, v) => {
  if (typeof v !== "string") return "str"
  out[key] = v
  return undefined
}

type OptionalTextKey = "runtime_id" | "service_name" | "service_env" | "service_version" | "process_tags" | "container_id"
const optionalString = (key: OptionalTextKey): Assign => (out, v) => {
  if (typeof v !== "string") return "str"
  if (v.length === 0) delete out[key] // empty means "not published" (a later duplicate may clear it)
  else out[key] = v
  return undefined
}

const fields: Record<keyof TracerMetadata, Assign> = {
  schema_version: (out, v) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 255) return "unsigned int <= 255"
    out.schema_version = v
    return undefined
  },
  runtime_id: optionalString("runtime_id"),
  tracer_language: requiredString("tracer_language"),
  tracer_version: requiredString("tracer_version"),
  hostname: requiredString("hostname"),
  service_name: optionalString("service_name"),
  service_env: optionalString("service_env"),
  service_version: optionalString("service_version"),
  process_tags: optionalString("process_tags"),
  container_id: optionalString("container_id"),
  logs_collected: (out, v) => {
    if (typeof v !== "boolean") return "bool"
    if (v) out.logs_collected = true
    else delete out.logs_collected
    return undefined
  },
  threadlocal_attribute_keys: (out, v) => {
    if (!Array.isArray(v) || !v.every((k): k is string => typeof k === "string")) return "array of str"
    if (v.length === 0) delete out.threadlocal_attribute_keys
    else out.threadlocal_attribute_keys = [v[0]!, ...v.slice(1)]
    return undefined
  }
}

const receivedOf = (v: unknown): string =>
  Array.isArray(v) ? `array containing ${[...new Set(v.map(describe))].join(", ") || "nothing"}` : describe(v)

/**
 * Decodes one tracer-metadata payload. `source` names the input in errors (e.g. `/proc/42/fd/3`).
 */
export const decodeTracerMetadata = (
  bytes: Uint8Array,
  source = "payload"
): Either.Either<DecodedTracerMetadata, TracerMetadataPayloadError> => {
  if (bytes.byteLength > TRACER_METADATA_MAX_BYTES) {
    return Either.left(new TracerMetadataTooLarge({ source, size: bytes.byteLength, limit: TRACER_METADATA_MAX_BYTES }))
  }
  if (bytes.byteLength === 0) {
    return Either.left(new TracerMetadataUndecodable({ source, reason: "Empty", detail: "the payload has no bytes" }))
  }
  let top: IteratorResult<unknown>
  try {
    // decodeMulti stops after the first object, so trailing bytes are never looked at.
    top = decodeMulti(bytes, { maxStrLength: TRACER_METADATA_MAX_BYTES, maxBinLength: TRACER_METADATA_MAX_BYTES })
      .next()
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e)
    return Either.left(new TracerMetadataUndecodable({ source, reason: "Malformed", detail }))
  }
  const value = top.value
  if (top.done === true || value === null || typeof value !== "object" || Array.isArray(value) ||
    value instanceof Uint8Array || value instanceof ExtData || value instanceof Date) {
    return Either.left(new TracerMetadataUndecodable({
      source,
      reason: "NotAMap",
      detail: `the top-level value is ${describe(value)}, expected a map with string keys`
    }))
  }
  const out: Mutable<TracerMetadata> = { ...emptyTracerMetadata }
  const issues: Array<FieldIssue> = []
  const unknownKeys: Array<string> = []
  let unknownKeyCount = 0
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const assign = Object.hasOwn(fields, key) ? fields[key as keyof TracerMetadata] : undefined
    if (assign === undefined) {
      unknownKeyCount++
      if (unknownKeys.length < MAX_UNKNOWN_KEY_NAMES) unknownKeys.push(key)
      continue
    }
    const expected = assign(out, v)
    if (expected !== undefined) issues.push({ field: key, expected, received: receivedOf(v) })
  }
  return Either.right({ metadata: out, issues, unknownKeys, unknownKeyCount })
}
