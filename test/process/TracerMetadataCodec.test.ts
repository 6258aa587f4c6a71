import { encode } from "@msgpack/msgpack"
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import {
  decodeTracerMetadata,
  type DecodedTracerMetadata,
  TRACER_METADATA_MAX_BYTES
} from "../../src/services/process/TracerMetadataCodec.js"
import type { TracerMetadataPayloadError } from "../../src/services/process/errors.js"
import { arr, bin, bool, concat, float, kv, map, negint, nil, str, uint } from "./msgpackBytes.js"

const ok = (bytes: Uint8Array): DecodedTracerMetadata => {
  const r = decodeTracerMetadata(bytes, "test")
  if (Either.isLeft(r)) throw new Error(`expected a decoded value, got ${r.left.message}`)
  return r.right
}
const fail = (bytes: Uint8Array): TracerMetadataPayloadError => {
  const r = decodeTracerMetadata(bytes, "test")
  if (Either.isRight(r)) throw new Error("expected a failure")
  return r.left
}

const full = {
  schema_version: 2,
  runtime_id: "6376fab2-3a4f-4b1c-9d2e-1f0a2b3c4d5e",
  tracer_language: "java",
  tracer_version: "1.59.0~7e1bb03bc3",
  hostname: "web-1",
  service_name: "checkout",
  service_env: "prod",
  service_version: "2.3.1",
  process_tags: "entrypoint.name:com.example.Demo,entrypoint.type:class",
  container_id: "abc123",
  logs_collected: true as const,
  threadlocal_attribute_keys: ["http.method", "http.target"] as [string, ...Array<string>]
}

describe("decodeTracerMetadata", () => {
  it("decodes every field", () => {
    const d = ok(encode(full))
    assert.deepStrictEqual(d.metadata, full)
    assert.deepStrictEqual(d.issues, [])
    assert.deepStrictEqual(d.unknownKeys, [])
  })

  it("fills the always-present fields with zero values when missing (a v1 payload)", () => {
    const d = ok(encode({ schema_version: 1, service_name: "s" }))
    assert.deepStrictEqual(d.metadata, { schema_version: 1, tracer_language: "", tracer_version: "", hostname: "", service_name: "s" })
  })

  it("treats empty optional strings, false and [] as not published (a Go writer emits them)", () => {
    const d = ok(encode({ ...full, runtime_id: "", service_env: "", process_tags: "", logs_collected: false, threadlocal_attribute_keys: [] }))
    assert.isFalse("runtime_id" in d.metadata)
    assert.isFalse("service_env" in d.metadata)
    assert.isFalse("process_tags" in d.metadata)
    assert.isFalse("logs_collected" in d.metadata)
    assert.isFalse("threadlocal_attribute_keys" in d.metadata)
    assert.strictEqual(d.metadata.service_name, "checkout")
  })

  it("ignores unknown keys (including nested values) and keeps their names aside", () => {
    const d = ok(encode({ future_field: { nested: [1, 2, { deep: "x" }] }, tracer_language: "go", other: 7 }))
    assert.strictEqual(d.metadata.tracer_language, "go")
    assert.deepStrictEqual(d.unknownKeys, ["future_field", "other"])
    assert.strictEqual(d.unknownKeyCount, 2)
  })

  it("keeps the last value of a repeated key", () => {
    const d = ok(map(kv("service_name", str("first")), kv("tracer_language", str("go")), kv("service_name", str("last"))))
    assert.strictEqual(d.metadata.service_name, "last")
    const cleared = ok(map(kv("service_name", str("first")), kv("service_name", str(""))))
    assert.isFalse("service_name" in cleared.metadata)
  })

  describe("a field of the wrong type is dropped and reported; the rest survive", () => {
    const cases: ReadonlyArray<readonly [string, Uint8Array, string, string]> = [
      ["runtime_id", nil, "str", "nil"],
      ["tracer_language", bin([0x67, 0x6f]), "str", "bin"],
      ["tracer_version", uint(3), "str", "int"],
      ["tracer_version", bool(true), "str", "bool"],
      ["service_name", arr(str("a")), "str", "array containing str"],
      ["service_env", map(), "str", "map"],
      ["service_version", float(1.5), "str", "float"],
      ["process_tags", nil, "str", "nil"],
      ["container_id", uint(1), "str", "int"],
      ["schema_version", uint(256), "unsigned int <= 255", "int"],
      ["schema_version", negint(-1), "unsigned int <= 255", "negative int"],
      ["schema_version", str("2"), "unsigned int <= 255", "str"],
      ["schema_version", float(1.5), "unsigned int <= 255", "float"],
      ["logs_collected", str("true"), "bool", "str"],
      ["threadlocal_attribute_keys", arr(str("a"), uint(1)), "array of str", "array containing str, int"],
      ["threadlocal_attribute_keys", str("a"), "array of str", "str"]
    ]
    for (const [field, value, expected, received] of cases) {
      it(`${field} = ${received}`, () => {
        const witness = field === "service_name" ? "service_env" : "service_name"
        const d = ok(map(kv(witness, str("kept")), kv(field, value), kv("hostname", str("h"))))
        assert.deepStrictEqual(d.issues, [{ field, expected, received }])
        // the bad field keeps its zero value (required) or is absent (optional) ...
        const zero: Record<string, unknown> = { schema_version: 0, tracer_language: "", tracer_version: "", hostname: field === "hostname" ? "" : "h" }
        assert.strictEqual((d.metadata as Record<string, unknown>)[field], zero[field])
        // ... and the other fields survive
        assert.strictEqual((d.metadata as Record<string, unknown>)[witness], "kept")
        if (field !== "hostname") assert.strictEqual(d.metadata.hostname, "h")
      })
    }
  })

  it("drops a nil hostname and keeps the rest", () => {
    const d = ok(map(kv("tracer_language", str("php")), kv("hostname", nil)))
    assert.deepStrictEqual(d.issues, [{ field: "hostname", expected: "str", received: "nil" }])
    assert.strictEqual(d.metadata.hostname, "")
    assert.strictEqual(d.metadata.tracer_language, "php")
  })

  it("ignores bytes after the map, even garbage", () => {
    const d = ok(concat(encode({ tracer_language: "cpp" }), Uint8Array.from([0xc1, 0xff, 0x00])))
    assert.strictEqual(d.metadata.tracer_language, "cpp")
  })

  it("rejects an empty payload", () => {
    const e = fail(new Uint8Array())
    assert.strictEqual(e._tag, "TracerMetadataUndecodable")
    assert.strictEqual(e._tag === "TracerMetadataUndecodable" && e.reason, "Empty")
  })

  it("rejects a payload that is not a map", () => {
    for (const v of [encode([1, 2]), encode("x"), encode(3), nil, bin([1])]) {
      const e = fail(v)
      assert.strictEqual(e._tag === "TracerMetadataUndecodable" && e.reason, "NotAMap")
      assert.include(e.message, "test")
    }
  })

  it("rejects truncated or corrupt msgpack", () => {
    const e = fail(encode(full).slice(0, 20))
    assert.strictEqual(e._tag === "TracerMetadataUndecodable" && e.reason, "Malformed")
    assert.strictEqual(fail(Uint8Array.from([0xc1]))._tag, "TracerMetadataUndecodable")
  })

  it("accepts exactly 64 KiB and rejects one byte more", () => {
    const header = map(kv("tracer_language", str("go")), kv("pad", str("")))
    const padLen = TRACER_METADATA_MAX_BYTES - header.length - 2 // a str16 header is 2 bytes longer than a fixstr one
    const exact = map(kv("tracer_language", str("go")), kv("pad", str("x".repeat(padLen))))
    assert.strictEqual(exact.length, TRACER_METADATA_MAX_BYTES)
    assert.strictEqual(ok(exact).metadata.tracer_language, "go")
    const over = concat(exact, Uint8Array.from([0]))
    const e = fail(over)
    assert.strictEqual(e._tag, "TracerMetadataTooLarge")
    assert.strictEqual(e._tag === "TracerMetadataTooLarge" && e.size, TRACER_METADATA_MAX_BYTES + 1)
  })
})
