import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import type { CaptureEvent, Value } from "../../src/services/debugger/CaptureEvent.js"
import { encodeSnapshot } from "../../src/services/debugger/Envelope.js"
import { defaultEncoderOptions } from "../../src/services/debugger/Limits.js"
import { argsOf, arr, identity, int, ptr, str, struct, withArgs } from "./fixtures.js"

const encode = (ev: CaptureEvent, byteBudget = defaultEncoderOptions.byteBudget) => {
  const r = encodeSnapshot(ev, identity, "00000000-0000-4000-8000-000000000001", { ...defaultEncoderOptions, byteBudget })
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

describe("value encoding", () => {
  it("formats numbers in shortest round-trip form and keeps -0 and special values", () => {
    const a = argsOf(encode(withArgs({
      a: { kind: "scalar", type: "float64", value: 1e300 },
      b: { kind: "scalar", type: "float64", value: -0 },
      c: { kind: "scalar", type: "float64", value: 0.1 },
      d: { kind: "scalar", type: "float64", value: "+Inf" },
      e: { kind: "scalar", type: "uint64", value: "18446744073709551615" }
    })).json)
    assert.deepStrictEqual([a.a.value, a.b.value, a.c.value, a.d.value, a.e.value], ["1e+300", "-0", "0.1", "+Inf", "18446744073709551615"])
  })

  it("expands compound values until maxReferenceDepth, pointers adding no depth", () => {
    const chain = (n: number): Value => n === 0 ? int(0) : struct("T", [["c", chain(n - 1)]])
    const a = argsOf(encode(withArgs({ x: chain(5) }, { probe: { id: "p", version: 1, location: {}, capture: { maxReferenceDepth: 2 } } })).json)
    assert.deepStrictEqual(a.x.fields.c.fields.c, { type: "T", notCapturedReason: "depth" })
    const heap = { "0x10": struct("T", [["v", int(1)]]) }
    const b = argsOf(encode(withArgs({ p: ptr("*T", "0x10") }, { heap, probe: { id: "p", version: 1, location: {}, capture: { maxReferenceDepth: 1 } } })).json)
    assert.deepStrictEqual(b.p, { type: "*T", address: "0x10", fields: { v: { type: "int", value: "1" } } })
  })

  it("encodes and renders chains 100,000 values long without overflowing the stack", () => {
    let iface: Value = int(1)
    for (let i = 0; i < 100_000; i++) iface = { kind: "interface", type: "any", value: iface }
    const heap: Record<string, Value> = {}
    for (let i = 1; i <= 100_000; i++) heap[`0x${i.toString(16)}`] = i < 100_000 ? ptr("*T", `0x${(i + 1).toString(16)}`) : int(2)
    const probe = { id: "p", version: 1, location: {}, template: "{i} {p}", capture: { maxReferenceDepth: 1_000_000 } }
    const out = encode(withArgs({ i: iface, p: ptr("*T", "0x1") }, { heap, probe }))
    const a = argsOf(out.json)
    assert.strictEqual(a.p.notCapturedReason, "depth")
    let inner = a.i
    while (inner.fields !== undefined) inner = inner.fields.data
    assert.strictEqual(inner.notCapturedReason, "depth")
    assert.strictEqual(JSON.parse(out.json).message, "{...} {...}")
  })

  it("marks a back edge on the encoding path, and expands a shared node on each path", () => {
    const heap = {
      "0xa": struct("N", [["next", ptr("*N", "0xb")]]),
      "0xb": struct("N", [["next", ptr("*N", "0xa")]])
    }
    const a = argsOf(encode(withArgs({ l: ptr("*N", "0xa"), again: ptr("*N", "0xb") }, { heap })).json)
    assert.deepStrictEqual(a.l.fields.next.fields.next, { type: "*N", address: "0xa", notCapturedReason: "circular reference" })
    assert.strictEqual(a.again.fields.next.address, "0xa")
    assert.strictEqual(a.again.fields.next.fields.next.notCapturedReason, "circular reference")
  })

  it("cuts strings on code points and reports which limit cut them", () => {
    const a = argsOf(encode(withArgs({ s: str("😀😀😀") }, { probe: { id: "p", version: 1, location: {}, capture: { maxLength: 2 } } })).json)
    assert.deepStrictEqual(a.s, { type: "string", value: "😀😀", truncated: true, size: 3, truncatedBy: "maxLength" })
  })

  it("reports collection and field limits with the original size", () => {
    const many = Array.from({ length: 150 }, (_, i) => int(i))
    const fields = Array.from({ length: 30 }, (_, i) => [`f${i}`, int(i)] as const)
    const a = argsOf(encode(withArgs({ xs: arr("[]int", many), s: struct("S", fields) })).json)
    assert.strictEqual(a.xs.elements.length, 100)
    assert.strictEqual(a.xs.notCapturedReason, "collectionSize")
    assert.strictEqual(a.xs.size, 150)
    assert.strictEqual(Object.keys(a.s.fields).length, 20)
    assert.deepStrictEqual([a.s.notCapturedReason, a.s.size], ["fieldCount", 30])
  })


  it("encodes several return values as one typed tuple under locals[@return]", () => {
    const ev: CaptureEvent = { ...withArgs({}), captures: { return: { returns: [int(1), str("x")] } } }
    const r = JSON.parse(encode(ev).json).debugger.snapshot.captures.return.locals["@return"]
    assert.deepStrictEqual(r, { type: "(int, string)", fields: { r0: { type: "int", value: "1" }, r1: { type: "string", value: "x" } } })
  })
})

describe("encoding failures", () => {
  it("turns a value that cannot be encoded into an evaluation error naming it, keeping the others", () => {
    // Not a valid CaptureEvent (fields missing): the encoder must still not lose the other variables.
    const broken = { kind: "struct", type: "S" } as unknown as Value
    const out = encode(withArgs({ ok: int(1), broken, after: str("x".repeat(300)) }))
    const parsed = JSON.parse(out.json)
    assert.deepStrictEqual(Object.keys(parsed.debugger.snapshot.captures.entry.arguments), ["ok", "after"])
    assert.strictEqual(parsed.debugger.snapshot.evaluationErrors[0].expr, "broken")
    assert.match(parsed.debugger.snapshot.evaluationErrors[0].message, /^encoding failed: /)
  })
})

describe("byte budget", () => {
  const wide = (tag: string) =>
    struct("Outer", [["inner", struct("Inner", [["blob", str(tag.repeat(200))]])], ["n", int(1)]])
  const ev = withArgs({ a: wide("a"), b: wide("b"), c: wide("c") }, {
    probe: { id: "p", version: 1, location: { method: "f" }, capture: { maxLength: 1000 }, template: "hit" }
  })

  it("leaves a message under the budget untouched", () => {
    const full = encode(ev)
    assert.strictEqual(full.pruned, 0)
    assert.notInclude(full.json, "pruned")
  })

  it("prunes the deepest values first, the last of them first, and fits the budget", () => {
    const full = encode(ev)
    const out = encode(ev, full.bytes - 150)
    assert.isAtMost(out.bytes, full.bytes - 150)
    assert.strictEqual(out.bytes, Buffer.byteLength(out.json))
    const a = argsOf(out.json)
    assert.deepStrictEqual(a.c.fields.inner.fields.blob, { type: "string", notCapturedReason: "pruned" })
    assert.strictEqual(a.b.fields.inner.fields.blob.value, "b".repeat(200))
    assert.strictEqual(a.a.fields.inner.fields.blob.value, "a".repeat(200))
    assert.strictEqual(out.pruned, 1)
  })

  it("prunes whole variables before touching the envelope or the capture contexts", () => {
    const out = encode(ev, 545)
    const parsed = JSON.parse(out.json)
    assert.isAtMost(out.bytes, 545)
    const a = parsed.debugger.snapshot.captures.entry.arguments
    assert.deepStrictEqual(Object.keys(a), ["a", "b", "c"])
    for (const k of ["a", "b", "c"]) assert.deepStrictEqual(a[k], { type: "Outer", notCapturedReason: "pruned" })
    assert.strictEqual(parsed.service, "svc")
    assert.strictEqual(parsed.message, "hit")
  })

  it("fails with a typed error when even the placeholders do not fit", () => {
    const r = encodeSnapshot(ev, identity, "id", { ...defaultEncoderOptions, byteBudget: 100 })
    assert.isTrue(Either.isLeft(r))
    if (Either.isLeft(r)) assert.strictEqual(r.left._tag, "SnapshotTooLarge")
  })
})
