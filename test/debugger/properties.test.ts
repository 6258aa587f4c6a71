import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import * as fc from "fast-check"
import type { CaptureEvent, Value } from "../../src/services/debugger/CaptureEvent.js"
import { encodeSnapshot } from "../../src/services/debugger/Envelope.js"
import { defaultEncoderOptions } from "../../src/services/debugger/Limits.js"
import { isNotCapturedReason } from "../../src/services/debugger/Reasons.js"
import type { ProcessIdentity } from "../../src/services/debugger/ProcessInfo.js"

const addresses = ["0x10", "0x20", "0x30", "0x40", "0x50", "0x0"] as const // 0x50 is never in the heap
const typeName = fc.constantFrom("int", "T", "*T", "[]int", "map[string]T", "ünï", "a\"b")
const text = fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), fc.string({ unit: "grapheme", minLength: 200, maxLength: 600 }))

const { value } = fc.letrec<{ value: Value; struct: Value; array: Value; map: Value; iface: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ kind: fc.constant("scalar" as const), type: typeName, value: fc.oneof(fc.double(), fc.boolean(), fc.integer()) }),
    fc.record({ kind: fc.constant("string" as const), value: text, size: fc.option(fc.nat(10_000), { nil: undefined }) }),
    fc.record({ kind: fc.constant("null" as const), type: typeName }),
    fc.record({ kind: fc.constant("pointer" as const), type: typeName, address: fc.constantFrom(...addresses) }),
    fc.record({ kind: fc.constant("unavailable" as const), reason: fc.constantFrom("unavailable", "redactedIdent", "timeout" as const) }),
    tie("struct"),
    tie("array"),
    tie("map"),
    tie("iface")
  ),
  struct: fc.record({
    kind: fc.constant("struct" as const),
    type: typeName,
    fields: fc.array(fc.tuple(fc.string({ maxLength: 6 }), tie("value")), { maxLength: 8 }),
    fieldCount: fc.option(fc.nat(50), { nil: undefined })
  }),
  array: fc.record({
    kind: fc.constant("array" as const),
    type: typeName,
    elements: fc.array(tie("value"), { maxLength: 8 }),
    length: fc.option(fc.nat(500), { nil: undefined })
  }),
  map: fc.record({
    kind: fc.constant("map" as const),
    type: typeName,
    entries: fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 5 })
  }),
  iface: fc.record({ kind: fc.constant("interface" as const), type: typeName, value: tie("value") })
}))

const identityArb: fc.Arbitrary<ProcessIdentity> = fc.record({
  service: fc.string({ minLength: 1, maxLength: 10 }),
  hostname: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  processTags: fc.array(fc.constantFrom("a:b", "entrypoint.name:x"), { maxLength: 2 }),
  serviceSource: fc.constant("tracer" as const)
})

const eventArb: fc.Arbitrary<CaptureEvent> = fc.record({
  probe: fc.record({
    id: fc.constant("probe"),
    version: fc.nat(5),
    location: fc.constant({ method: "m" }),
    capture: fc.record({
      maxReferenceDepth: fc.nat(5),
      maxCollectionSize: fc.integer({ min: 1, max: 40 }),
      maxFieldCount: fc.nat(10),
      maxLength: fc.integer({ min: 0, max: 2000 })
    }),
    template: fc.option(fc.constantFrom("{a} and {b.x}", "plain", "{@duration}"), { nil: undefined })
  }),
  pid: fc.constant(1),
  language: fc.constant("go"),
  timestamp: fc.nat(),
  duration: fc.option(fc.nat(), { nil: undefined }),
  thread: fc.record({ id: fc.nat(100) }),
  trace: fc.option(fc.record({ traceId: fc.constantFrom("abc", "12345", "0"), spanId: fc.constantFrom("1", "99") }), { nil: undefined }),
  captures: fc.record({
    entry: fc.record({
      arguments: fc.dictionary(fc.constantFrom("a", "b", "c", "d"), value),
      // Enough bulk that a good share of runs is over budget and must be pruned.
      locals: fc.record({
        bulk: fc.record({
          kind: fc.constant("array" as const),
          type: fc.constant("[]string"),
          elements: fc.array(fc.record({ kind: fc.constant("string" as const), value: fc.string({ unit: "grapheme", minLength: 500, maxLength: 1500 }) }), { minLength: 5, maxLength: 40 })
        })
      })
    }),
    return: fc.record({ returns: fc.array(value, { maxLength: 2 }) })
  }),
  heap: fc.record({ "0x10": value, "0x20": value, "0x30": value, "0x40": value })
})

/** Checks every value object under a captured variable; returns the count checked. */
const checkValue = (v: any): number => {
  assert.isObject(v)
  assert.isString(v.type, `value without type: ${JSON.stringify(v).slice(0, 200)}`)
  if ("notCapturedReason" in v) assert.isTrue(isNotCapturedReason(v.notCapturedReason), v.notCapturedReason)
  if (v.truncated === true || v.notCapturedReason === "collectionSize" || v.notCapturedReason === "fieldCount") {
    assert.isNumber(v.size)
  }
  let n = 1
  if (v.fields !== undefined) for (const f of Object.values(v.fields)) n += checkValue(f)
  if (v.elements !== undefined) for (const e of v.elements) n += checkValue(e)
  if (v.entries !== undefined) {
    for (const pair of v.entries) {
      assert.strictEqual(pair.length, 2)
      n += checkValue(pair[0]) + checkValue(pair[1])
    }
  }
  return n
}

const required = ["service", "ddsource", "message", "timestamp", "logger", "debugger"]

describe("encoder properties", () => {
  it("emits valid JSON within the byte budget, typed values, closed reasons, sizes and a fixed key set", () => {
    let prunedRuns = 0
    fc.assert(
      // Budgets start above the largest fixed part these events can have (an 8 KiB message plus the
      // envelope), so every run must fit by pruning values alone.
      fc.property(eventArb, identityArb, fc.integer({ min: 16 * 1024, max: 64 * 1024 }), (ev, id, budget) => {
        const r = encodeSnapshot(ev, id, "00000000-0000-4000-8000-000000000001", { ...defaultEncoderOptions, byteBudget: budget })
        assert.isTrue(Either.isRight(r), Either.isLeft(r) ? r.left.message : "")
        if (Either.isLeft(r)) return
        const out = r.right
        assert.strictEqual(Buffer.byteLength(out.json, "utf8"), out.bytes)
        assert.isAtMost(out.bytes, budget)
        assert.isTrue((out.json as unknown as { isWellFormed(): boolean }).isWellFormed(), "lone surrogate in output")
        if (out.pruned > 0) prunedRuns++
        const msg = JSON.parse(out.json)
        const expected = new Set([
          ...required,
          ...(id.hostname === undefined ? [] : ["hostname"]),
          ...(ev.duration === undefined ? [] : ["duration"]),
          ...(ev.trace === undefined || ev.trace.traceId === "0" ? [] : ["dd"]),
          ...(id.processTags.length === 0 ? [] : ["process_tags"])
        ])
        assert.deepStrictEqual(new Set(Object.keys(msg)), expected)
        assert.deepStrictEqual(Object.keys(msg.logger), ["name", "method", "version", "thread_id", "thread_name"])
        assert.isAtMost(Buffer.byteLength(msg.message), 8192)
        const caps = msg.debugger.snapshot.captures
        for (const v of Object.values(caps.entry.arguments ?? {})) checkValue(v)
        for (const v of Object.values(caps.entry.locals ?? {})) checkValue(v)
        for (const v of Object.values(caps.return.locals ?? {})) checkValue(v)
      }),
      // No shrinking: shrinking long strings takes minutes; the failure report is enough to reproduce.
      { numRuns: 300, endOnFailure: true }
    )
    // The generated sizes must actually exercise the budget, or the bound above proves nothing.
    assert.isAbove(prunedRuns, 0)
  })
})
