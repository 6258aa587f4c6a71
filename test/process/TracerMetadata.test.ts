import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Either, FastCheck, JSONSchema, Schema } from "effect"
import {
  decodeTracerMetadataJson,
  encodeTracerMetadataJson,
  isEmptyTracerMetadata,
  parseProcessTags,
  TracerMetadata,
  tags,
  tagStrings
} from "../../src/services/process/TracerMetadata.js"
import { check } from "./jsonSchemaCheck.js"

const base: TracerMetadata = { schema_version: 2, tracer_language: "python", tracer_version: "3.1.0", hostname: "h" }

describe("tags()", () => {
  it("is empty for metadata with no service fields and no process tags", () => {
    assert.deepStrictEqual(tagStrings(base), [])
  })

  it("yields tracer_service_name/env/version first, then the process tags in source order", () => {
    const meta: TracerMetadata = {
      ...base,
      service_version: "1.0.0",
      process_tags: "b:2,a:1,tracer_service_name:dup",
      service_name: "svc",
      service_env: "prod",
      runtime_id: "r",
      container_id: "c",
      logs_collected: true,
      threadlocal_attribute_keys: ["k"]
    }
    assert.deepStrictEqual(tagStrings(meta), [
      "tracer_service_name:svc",
      "tracer_service_env:prod",
      "tracer_service_version:1.0.0",
      "b:2",
      "a:1",
      "tracer_service_name:dup"
    ])
  })

  it("skips the service fields that are absent, keeping the order of the others", () => {
    assert.deepStrictEqual(tagStrings({ ...base, service_env: "e", process_tags: "x:y" }), ["tracer_service_env:e", "x:y"])
  })

  it("trims, cuts at the first colon, skips entries without colon or with an empty key or value", () => {
    const pairs = [...parseProcessTags(" a : 1 ,,url:http://h:8080, novalue, :v, k: ,  ,trailing:ok,")]
    assert.deepStrictEqual(pairs, [["a", "1"], ["url", "http://h:8080"], ["trailing", "ok"]])
    assert.deepStrictEqual([...parseProcessTags("")], [])
  })

  it("is lazy: a consumer that stops early stops the iteration", () => {
    const it = tags({ ...base, service_name: "s", process_tags: "a:1,b:2" })
    assert.deepStrictEqual(it.next().value, ["tracer_service_name", "s"])
    assert.deepStrictEqual(it.next().value, ["a", "1"])
    it.return(undefined)
    assert.isTrue(it.next().done)
  })
})

describe("JSON encoding", () => {
  it("has the same keys as msgpack and omits absent optional fields", () => {
    const json = JSON.parse(JSON.stringify(encodeTracerMetadataJson({ ...base, service_name: "svc" })))
    assert.deepStrictEqual(json, { schema_version: 2, tracer_language: "python", tracer_version: "3.1.0", hostname: "h", service_name: "svc" })
    assert.isTrue(isEmptyTracerMetadata({ schema_version: 0, tracer_language: "", tracer_version: "", hostname: "" }))
    assert.isFalse(isEmptyTracerMetadata({ schema_version: 0, tracer_language: "", tracer_version: "", hostname: "", service_env: "x" }))
  })

  it.effect("rejects empty optional strings and unknown keys on decode (the JSON form never carries them)", () =>
    Effect.gen(function*() {
      const emptyOptional = yield* Effect.either(decodeTracerMetadataJson({ ...base, service_name: "" }))
      assert.isTrue(Either.isLeft(emptyOptional))
      const falseLogs = yield* Effect.either(decodeTracerMetadataJson({ ...base, logs_collected: false }))
      assert.isTrue(Either.isLeft(falseLogs))
      const unknownKey = yield* Effect.either(decodeTracerMetadataJson({ ...base, extra: 1 }))
      assert.isTrue(Either.isLeft(unknownKey))
      const decoded = yield* decodeTracerMetadataJson({ ...base, logs_collected: true })
      assert.strictEqual(decoded.logs_collected, true)
    }))

  const schema = JSONSchema.make(TracerMetadata) as unknown as Record<string, unknown>

  it("generated JSON Schema: required keys and additionalProperties false", () => {
    const def = (schema.$defs as Record<string, Record<string, unknown>>).TracerMetadata!
    assert.deepStrictEqual(def.required, ["schema_version", "tracer_language", "tracer_version", "hostname"])
    assert.strictEqual(def.additionalProperties, false)
  })

  it("every encoded value validates against the generated JSON Schema (property)", () => {
    const arb = Arbitrary.make(TracerMetadata)
    FastCheck.assert(FastCheck.property(arb, (meta) => {
      const json = JSON.parse(JSON.stringify(encodeTracerMetadataJson(meta)))
      const errors = check(schema, json)
      if (errors.length > 0) throw new Error(errors.join("; "))
    }), { numRuns: 300 })
  })

  it("JSON the schema accepts decodes; JSON it rejects fails to decode (the two agree)", () => {
    const samples: ReadonlyArray<unknown> = [
      base,
      { ...base, service_name: "svc", threadlocal_attribute_keys: ["a"], logs_collected: true },
      { ...base, service_name: "" },
      { ...base, extra: 1 },
      { ...base, schema_version: 256 },
      { ...base, schema_version: 1.5 },
      { ...base, threadlocal_attribute_keys: [] },
      { ...base, logs_collected: false },
      { schema_version: 1, tracer_language: "go", tracer_version: "1" },
      { ...base, hostname: null }
    ]
    const decode = Schema.decodeUnknownEither(TracerMetadata, { onExcessProperty: "error" })
    for (const s of samples) {
      const bySchema = check(schema, s).length === 0
      const byEffect = Either.isRight(decode(s))
      assert.strictEqual(bySchema, byEffect, JSON.stringify(s))
    }
  })
})
