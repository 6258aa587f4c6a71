import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import * as fc from "fast-check"
import type { SnapshotHit } from "../../../src/services/debugger/live/HitPayload.js"
import { identityFrames, logEvent, snapshotEvents } from "../../../src/services/debugger/live/HitPayload.js"
import { makeProbe } from "../../../src/services/debugger/live/ProbeSpec.js"
import { takeToken } from "../../../src/services/debugger/TokenBucket.js"
import { defaultHelperProbe, encode, makeHarness, probedFunction } from "./helper.js"

const probe = (spec = "app.js:3", over: Parameters<typeof makeProbe>[1] = {}) => Either.getOrThrow(makeProbe(spec, over))

/** Encoded locals of the first snapshot the harness emitted. */
const localsOf = (h: ReturnType<typeof makeHarness>) => {
  const hit = h.payloads().find((p): p is SnapshotHit => p.k === "s")
  assert.isDefined(hit)
  const [event] = snapshotEvents(hit!, [probe()], 42, identityFrames)
  const msg = encode(event!) as any
  return msg.debugger.snapshot.captures.lines["3"].locals as Record<string, any>
}

describe("target helper: values", () => {
  it("captures every value kind in the CaptureEvent model, and the encoder names what was cut", () => {
    const h = makeHarness()
    h.set(0, defaultHelperProbe())
    const f = probedFunction(h, `
      class Cart { constructor() { this.total = 5; this.self = this } get lazy() { globalThis.getterCalls = (globalThis.getterCalls ?? 0) + 1; return 1 } }
      const cart = new Cart();
      Object.defineProperty(cart, "own", { get() { globalThis.getterCalls = (globalThis.getterCalls ?? 0) + 1; return 2 }, enumerable: true });
      const map = new Map([["a", 1], [{ k: 1 }, [1, 2]]]);
      const set = new Set([1, "two"]);
      const typed = new Uint8Array([1, 2, 3]);
      const big = 12345678901234567890n;
      const sym = Symbol("tag");
      const err = new RangeError("bad");
      const fn = function named(a, b) {};
      const nums = [NaN, -0, Infinity, 1.5];
      const nothing = undefined, none = null;
      const when = new Date(0), re = /x+/gi;
      const weak = new WeakMap();
      const prox = new Proxy({}, {});
      const long = "é".repeat(300);
      const many = Array.from({ length: 150 }, (_, i) => i);
      const wide = Object.fromEntries(Array.from({ length: 25 }, (_, i) => ["f" + i, i]));
      const deep = { a: { b: { c: { d: 1 } } } };
    `, ["cart", "map", "set", "typed", "big", "sym", "err", "fn", "nums", "nothing", "none", "when", "re", "weak", "prox", "long", "many", "wide", "deep"],
      [{ index: 0 }])
    f()
    const l = localsOf(h)
    assert.deepStrictEqual(l.cart.fields.total, { type: "number", value: "5" })
    assert.deepStrictEqual(l.cart.fields.self, { type: "Cart", address: l.cart.address, notCapturedReason: "circular reference" })
    assert.strictEqual(l.cart.fields.own.type, "getter")
    assert.strictEqual(h.run("globalThis.getterCalls"), undefined, "getters are never invoked")
    assert.deepStrictEqual(l.map.entries[0], [{ type: "string", value: "a" }, { type: "number", value: "1" }])
    assert.strictEqual(l.map.entries[1][0].fields.k.value, "1")
    assert.deepStrictEqual(l.set, { type: "Set", elements: [{ type: "number", value: "1" }, { type: "string", value: "two" }], size: 2 })
    assert.strictEqual(l.typed.type, "Uint8Array")
    assert.deepStrictEqual(l.typed.elements.map((e: any) => e.value), ["1", "2", "3"])
    assert.deepStrictEqual(l.big, { type: "bigint", value: "12345678901234567890" })
    assert.deepStrictEqual(l.sym, { type: "symbol", value: "Symbol(tag)" })
    assert.strictEqual(l.err.type, "RangeError")
    assert.deepStrictEqual(l.err.fields.message, { type: "string", value: "bad" })
    assert.include(l.err.fields.stack.value, "RangeError: bad")
    assert.strictEqual(l.fn.type, "Function")
    assert.deepStrictEqual(l.fn.fields.name, { type: "string", value: "named" })
    assert.deepStrictEqual(l.nums.elements.map((e: any) => e.value), ["NaN", "-0", "Infinity", "1.5"])
    assert.deepStrictEqual(l.nothing, { type: "undefined", isNull: true })
    assert.deepStrictEqual(l.none, { type: "null", isNull: true })
    assert.deepStrictEqual(l.when, { type: "Date", value: "1970-01-01T00:00:00.000Z" })
    assert.deepStrictEqual(l.re, { type: "RegExp", value: "/x+/gi" })
    assert.strictEqual(l.weak.notCapturedReason, "unimplemented")
    assert.deepStrictEqual(l.prox.type, "Proxy")
    assert.deepStrictEqual([l.long.value.length, l.long.size, l.long.truncatedBy], [255, 300, "maxLength"])
    assert.deepStrictEqual([l.many.elements.length, l.many.size, l.many.notCapturedReason], [100, 150, "collectionSize"])
    assert.deepStrictEqual([Object.keys(l.wide.fields).length, l.wide.size, l.wide.notCapturedReason], [20, 25, "fieldCount"])
    assert.deepStrictEqual(l.deep.fields.a.fields.b.fields.c, { type: "Object", notCapturedReason: "depth" })
  })

  it("marks what was not captured within the time budget as timeout", () => {
    const h = makeHarness({ budgetMs: 0 })
    h.set(0, defaultHelperProbe())
    const f = probedFunction(h, `const objs = Array.from({ length: 50 }, (_, i) => ({ i }));`, ["objs"], [{ index: 0 }])
    f()
    const l = localsOf(h)
    assert.isTrue(l.objs.notCapturedReason === "timeout" || l.objs.elements.some((e: any) => e.notCapturedReason === "timeout"))
  })

  it("includes this when it is an object, and reads closure and parameter variables", () => {
    const h = makeHarness()
    h.set(0, defaultHelperProbe())
    const f = probedFunction(h, `const local = arg * 2;`, ["arg", "local"], [{ index: 0 }])
    f.call({ n: 7 }, 21)
    const l = localsOf(h)
    assert.deepStrictEqual(l.arg, { type: "number", value: "21" })
    assert.deepStrictEqual(l.local, { type: "number", value: "42" })
    assert.deepStrictEqual(l.this.fields.n, { type: "number", value: "7" })
  })
})

describe("target helper: conditions, rates, log probes", () => {
  it("a false condition emits nothing and never asks to pause; a throwing one reports an error", () => {
    const h = makeHarness()
    h.set(0, defaultHelperProbe())
    h.set(1, defaultHelperProbe())
    const cond = (c: string) => h.run(`(function (x) { return eval(${JSON.stringify(`(($dd$h) => $dd$h.hit(0, this, ($dd$s) => eval($dd$s), [[0, () => (${c}\n), 0]]))(globalThis[Symbol.for("dd-agent-effect.live")])`)}) })`) as (x: number) => boolean
    const never = cond("x === -1")
    for (let i = 0; i < 100; i++) assert.isFalse(never(i))
    assert.deepStrictEqual(h.emitted, [])
    const boom = cond("x.y.z")
    assert.isFalse(boom(1))
    const [fault] = h.payloads()
    assert.deepStrictEqual(fault?.k === "e" && fault.m.startsWith("TypeError"), true)
    const yes = cond("x === 3")
    assert.isFalse(yes(2))
    assert.isTrue(yes(3), "the first true hit pauses to learn the frame's names")
  })

  it("per-probe rate: a second snapshot in the same second is not taken", () => {
    const h = makeHarness()
    h.set(0, defaultHelperProbe({ rate: 1 }))
    const f = probedFunction(h, "const v = arg;", ["v"], [{ index: 0 }])
    for (let i = 0; i < 5; i++) f(i)
    assert.strictEqual(h.payloads().length, 1)
  })

  it("global rate caps all probes together", () => {
    const h = makeHarness({ globalLogs: 3 })
    h.set(0, defaultHelperProbe({ log: true, rate: 1000 }))
    h.set(1, defaultHelperProbe({ log: true, rate: 1000 }))
    const f = probedFunction(h, "const v = arg;", [], [{ index: 0, paths: ["v"] }, { index: 1, paths: ["v"] }])
    for (let i = 0; i < 10; i++) f(i)
    assert.strictEqual(h.payloads().length, 3)
  })

  it("a log probe evaluates its template without pausing; the encoder renders the message", () => {
    const h = makeHarness()
    h.set(0, defaultHelperProbe({ log: true }))
    const p = probe("app.js:3", { template: "total={cart.total} user={cart.user.name} missing={cart.nope.x}" })
    const f = probedFunction(h, "const cart = { total: 9.5, user: { name: 'ann' } };", [], [{ index: 0, paths: p.template!.paths }])
    assert.strictEqual(f(1), 1)
    const [hit] = h.payloads()
    assert.strictEqual(hit?.k, "l")
    const msg = encode(logEvent(hit as any, p, 42)) as any
    assert.match(msg.message, /^total=9\.5 user=ann missing=/)
    assert.isUndefined(msg.debugger.snapshot.captures)
  })

  it("two probes on one location: each fires on its own condition, one capture serves both", () => {
    const h = makeHarness()
    h.set(0, defaultHelperProbe())
    h.set(1, defaultHelperProbe())
    const f = probedFunction(h, "const v = arg;", ["v"], [{ index: 0, condition: "v > 0" }, { index: 1, condition: "v > 1" }])
    f(0)
    f(1)
    f(2)
    const snaps = h.payloads().filter((p): p is SnapshotHit => p.k === "s")
    assert.deepStrictEqual(snaps.map((s) => [...s.p]), [[0], [0, 1]])
  })

  it("the token bucket is TokenBucket.takeToken", () => {
    const h = makeHarness()
    const inTarget = h.run(`globalThis[Symbol.for("dd-agent-effect.live")].takeToken`) as typeof takeToken
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0.1, max: 50, noNaN: true })), { maxLength: 40 }),
      (steps) => {
        let a: any = undefined
        let b: any = undefined
        let t = 0
        for (const [dt, rate] of steps) {
          t += dt
          const x = takeToken(a, t, rate)
          const y = inTarget(b, t, rate)
          assert.deepStrictEqual([y[0], y[1].tokens, y[1].at], [x[0], x[1].tokens, x[1].at])
          a = x[1]
          b = y[1]
        }
      }
    ))
  })
})
