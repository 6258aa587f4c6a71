import { assert, describe, it } from "@effect/vitest"
import { defaultLimits } from "../../src/services/debugger/Limits.js"
import { parseTemplate, renderMessage } from "../../src/services/debugger/Message.js"
import { arr, event, int, str, struct, withArgs } from "./fixtures.js"

describe("message rendering", () => {
  it("parses {expr} segments and {{ }} escapes", () => {
    assert.deepStrictEqual(parseTemplate("a {x} {{b}} {y.z}"), [
      { _tag: "Literal", text: "a " },
      { _tag: "Expr", expr: "x" },
      { _tag: "Literal", text: " {b} " },
      { _tag: "Expr", expr: "y.z" }
    ])
    assert.deepStrictEqual(parseTemplate("open { never closed"), [{ _tag: "Literal", text: "open { never closed" }])
  })

  it("shows 3 collection items and 5 struct fields, the ellipsis inside one closing brace", () => {
    const fields = Array.from({ length: 7 }, (_, i) => [`f${i}`, int(i)] as const)
    const ev = withArgs({ xs: arr("[]int", [int(1), int(2), int(3), int(4)]), s: struct("S", fields) }, {
      probe: { id: "p", version: 1, location: {}, template: "{xs} {s}" }
    })
    assert.strictEqual(renderMessage(ev, defaultLimits).message, "[1, 2, 3, ...] {f0: 0, f1: 1, f2: 2, f3: 3, f4: 4, ...}")
  })

  it("caps the message at 8 KiB on a code-point boundary", () => {
    const ev = withArgs({ s: str("é😀".repeat(5000)) }, {
      probe: { id: "p", version: 1, location: {}, template: "{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}", capture: { maxLength: 100_000 } }
    })
    const m = renderMessage(ev, { ...defaultLimits, maxLength: 100_000 }).message
    assert.isAtMost(Buffer.byteLength(m), 8192)
    assert.isTrue(m.endsWith("…"))
    assert.isTrue((m as unknown as { isWellFormed(): boolean }).isWellFormed())
  })

  it("reports an evaluation error only for expressions the template uses, once each", () => {
    const ev = withArgs({ a: int(1) }, { probe: { id: "p", version: 1, location: {}, template: "{a} {ghost} {ghost} {@duration}" } })
    const r = renderMessage(ev, defaultLimits)
    assert.strictEqual(r.message, "1 {error: ghost was not captured} {error: ghost was not captured} {error: @duration not available}")
    assert.deepStrictEqual(r.errors.map((e) => e.expr), ["ghost", "@duration"])
    assert.deepStrictEqual(renderMessage(withArgs({ a: int(1) }), defaultLimits).errors, [])
  })

  it("summarises method(arg=value, …) = return when there is no template", () => {
    const ev = event({
      probe: { id: "p", version: 1, location: { method: "pkg.f" } },
      captures: { entry: { arguments: { a: int(1), s: str("x") } }, return: { returns: [int(2)] } }
    })
    assert.strictEqual(renderMessage(ev, defaultLimits).message, "pkg.f(a=1, s=x) = 2")
  })
})
