/**
 * The structure a tracing library publishes about itself in its `datadog-tracer-info-*` memfd, kept whole
 * (not flattened into tags), plus the tag view network consumers iterate.
 *
 * Absent-or-empty semantics: the optional fields are *absent* when the tracer did not publish them or
 * published an empty value (a Go writer emits `""` for every unset field), so the JSON encoding of a value
 * of this Schema never carries `""`, `false` or `[]` for them. The four always-present fields keep their
 * zero value (`0` / `""`) when missing, as the producers' format defines.
 */
import { Schema } from "effect"

const OptionalText = Schema.optionalWith(Schema.NonEmptyString, { exact: true })

export const TracerMetadata = Schema.Struct({
  /** Payload format version: 1 = the original 8 fields, 2 adds process_tags and container_id. */
  schema_version: Schema.Int.pipe(Schema.between(0, 255)),
  /** Tracer instance id (a UUID; OpenTelemetry `service.instance.id`). */
  runtime_id: OptionalText,
  tracer_language: Schema.String,
  tracer_version: Schema.String,
  hostname: Schema.String,
  service_name: OptionalText,
  service_env: OptionalText,
  service_version: OptionalText,
  /** Raw comma-separated `key:value` list, as published; see {@link tags} for the parsed pairs. */
  process_tags: OptionalText,
  /** The container id as the application sees it. */
  container_id: OptionalText,
  /** Present (and `true`) only when the tracer reports that it collects logs. */
  logs_collected: Schema.optionalWith(Schema.Literal(true), { exact: true }),
  /** OpenTelemetry thread-local attribute key table (index 0 is implicitly `datadog.local_root_span_id`). */
  threadlocal_attribute_keys: Schema.optionalWith(Schema.NonEmptyArray(Schema.String), { exact: true })
}).annotations({
  identifier: "TracerMetadata",
  title: "TracerMetadata",
  description: "Self-reported identity of a tracing library, read from its datadog-tracer-info memfd"
})
export type TracerMetadata = typeof TracerMetadata.Type

/** The fields every decoded value carries even when the payload lacks them. */
export const emptyTracerMetadata: TracerMetadata = {
  schema_version: 0,
  tracer_language: "",
  tracer_version: "",
  hostname: "",
}

/** The JSON form: identical keys; empty optional fields are already absent from the value. */
export const encodeTracerMetadataJson = Schema.encodeSync(TracerMetadata)
/** Strict like the JSON Schema (`additionalProperties: false`): an unknown key is an error. */
export const decodeTracerMetadataJson = Schema.decodeUnknown(TracerMetadata, { onExcessProperty: "error" })

/** Tag keys under which the tracer's own service identity is yielded (distinct from UST `service:` etc.). */
export const TRACER_SERVICE_NAME = "tracer_service_name"
export const TRACER_SERVICE_ENV = "tracer_service_env"
export const TRACER_SERVICE_VERSION = "tracer_service_version"

/**
 * Splits a `process_tags` string into pairs, in source order: entries are split on `,` and trimmed,
 * cut at the first `:` (values may hold more colons), key and value trimmed; empty entries, entries
 * without a colon and pairs with an empty key or value are skipped. No dedup.
 */
export function* parseProcessTags(raw: string): Generator<readonly [string, string]> {
  for (const part of raw.split(",")) {
    const entry = part.trim()
    if (entry.length === 0) continue
    const colon = entry.indexOf(":")
    if (colon < 0) continue
    const key = entry.slice(0, colon).trim()
    const value = entry.slice(colon + 1).trim()
    if (key.length === 0 || value.length === 0) continue
    yield [key, value] as const
  }
}

/**
 * The tag pairs of a tracer, in this fixed order: `tracer_service_name`, `tracer_service_env`,
 * `tracer_service_version` (each when not empty), then the `process_tags` pairs. Lazy: a consumer that
 * stops early stops the parsing.
 */
export function* tags(meta: TracerMetadata): Generator<readonly [string, string]> {
  if (meta.service_name) yield [TRACER_SERVICE_NAME, meta.service_name] as const
  if (meta.service_env) yield [TRACER_SERVICE_ENV, meta.service_env] as const
  if (meta.service_version) yield [TRACER_SERVICE_VERSION, meta.service_version] as const
  if (meta.process_tags) yield* parseProcessTags(meta.process_tags)
}

/** {@link tags} as `key:value` strings. */
export const tagStrings = (meta: TracerMetadata): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const [k, v] of tags(meta)) out.push(`${k}:${v}`)
  return out
}

/** True when every field holds its zero value (a payload that said nothing). */
export const isEmptyTracerMetadata = (meta: TracerMetadata): boolean =>
  meta.schema_version === 0 && meta.tracer_language === "" && meta.tracer_version === "" &&
  meta.hostname === "" && Object.keys(meta).length === 4
