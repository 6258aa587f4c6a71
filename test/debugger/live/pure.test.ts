import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { makeProbe, parseFileLine } from "../../../src/services/debugger/live/ProbeSpec.js"
import { Schema } from "effect"
import { LiveProbeConfig, reconcile } from "../../../src/services/debugger/live/ProbeConfig.js"
import { catchesSigusr1, looksLikeNode, parseListeners, parseUids, socketInode } from "../../../src/services/debugger/live/ProcSockets.js"
import { pathEndsWith, scriptPath } from "../../../src/services/debugger/live/ScriptMatch.js"
import { templateExpressions } from "../../../src/services/debugger/live/HitPayload.js"
import { parseLogTemplate } from "../../../src/services/debugger/live/Template.js"
import { usableNames } from "../../../src/services/debugger/live/TargetHelper.js"

describe("live probe specs", () => {
  it("parses FILE:LINE and names the rule a bad spec broke", () => {
    assert.deepStrictEqual(Either.getOrThrow(parseFileLine("src/cart.ts:42")), { file: "src/cart.ts", line: 42 })
    assert.deepStrictEqual(Either.getOrThrow(parseFileLine("a:b/c.js:7")), { file: "a:b/c.js", line: 7 })
    const bad = (s: string) => Either.match(parseFileLine(s), { onLeft: (e) => e.message, onRight: () => "ok" })
    assert.strictEqual(bad("cart.ts"), `probe "cart.ts": expected FILE:LINE`)
    assert.strictEqual(bad("cart.ts:0"), `probe "cart.ts:0": LINE must be a positive integer`)
    assert.strictEqual(bad(":3"), `probe ":3": expected FILE:LINE`)
  })

  it("log templates: variable paths only, in first-use order", () => {
    assert.deepStrictEqual(Either.getOrThrow(parseLogTemplate("t={cart.total} {{x}} {cart.total} {this.id}")).paths, ["cart.total", "this.id"])
    const e = Either.flip(parseLogTemplate("n={items.length + 1}"))
    assert.strictEqual(Either.getOrThrow(e).message, `template "n={items.length + 1}": {items.length + 1} is not a variable path such as {name} or {name.field}`)
    assert.isTrue(Either.isLeft(makeProbe("a.js:1", { condition: "  " })))
  })

  it("template paths become nested capture expressions the renderer resolves", () => {
    const n = (v: number) => ({ kind: "scalar" as const, type: "number", value: v })
    assert.deepStrictEqual(templateExpressions(["cart.total", "cart.tax", "x"], [n(1), n(2), n(3)]), {
      cart: { kind: "struct", type: "Object", fields: [["total", n(1)], ["tax", n(2)]] },
      x: n(3)
    })
  })

  it("frame names usable in read-back code: identifiers, deduplicated, never the helper's own", () => {
    assert.deepStrictEqual(usableNames(["a", "a", "this", "$dd$h", "b c", "_ok$"]), ["a", "_ok$"])
  })
})

describe("configured probes", () => {
  it("dynamic_instrumentation.probes entries are checked when the configuration is decoded", () => {
    const ok = Schema.decodeUnknownEither(LiveProbeConfig)({ service: "shop", file: "src/cart.ts", line: 12, template: "t={cart.total}" })
    assert.isTrue(Either.isRight(ok))
    const bad = Schema.decodeUnknownEither(LiveProbeConfig)({ service: "shop", file: "cart.ts", line: 3, template: "{a + b}" })
    assert.include(Either.getOrThrow(Either.flip(bad)).message, "{a + b} is not a variable path")
  })

  it("reconciles a process's probes with the configuration of its service", () => {
    const p = (spec: string, over: Parameters<typeof makeProbe>[1] = {}) => Either.getOrThrow(makeProbe(spec, over))
    const a = p("a.js:1"), b = p("b.js:2"), b2 = p("b.js:2", { condition: "x > 1" })
    const plan = reconcile("shop", [{ service: "shop", probe: b2 }, { service: "other", probe: a }], new Map([[a.id, a], [b.id, b]]))
    assert.deepStrictEqual(plan, { install: [b2], remove: [a.id] })
  })
})

describe("script matching", () => {
  it("matches the end of a path on a component boundary", () => {
    assert.isTrue(pathEndsWith("/srv/app/src/cart.js", "cart.js"))
    assert.isTrue(pathEndsWith("/srv/app/src/cart.js", "src/cart.js"))
    assert.isTrue(pathEndsWith("/srv/app/src/cart.js", "./src/cart.js"))
    assert.isFalse(pathEndsWith("/srv/app/src/mycart.js", "cart.js"))
    assert.isTrue(pathEndsWith("/srv/app/src/cart.js", "/srv/app/src/cart.js"))
    assert.strictEqual(scriptPath("file:///srv/a%20b/c.js"), "/srv/a b/c.js")
    assert.strictEqual(scriptPath("node:internal/timers"), "node:internal/timers")
  })
})

describe("/proc parsing", () => {
  const tcp = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:240D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0",
    "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0",
    "   2: 0100007F:9C40 0100007F:240D 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0"
  ].join("\n")
  const tcp6 = [
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 00000000000000000000000001000000:240E 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1",
    "   1: 0000000000000000FFFF00000100007F:240F 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1"
  ].join("\n")

  it("keeps LISTEN rows with their address, port and inode, and tells loopback apart", () => {
    assert.deepStrictEqual(parseListeners(tcp), [
      { address: "127.0.0.1", port: 9229, inode: 111, loopback: true },
      { address: "0.0.0.0", port: 8080, inode: 222, loopback: false }
    ])
    assert.deepStrictEqual(parseListeners(tcp6), [
      { address: "::1", port: 9230, inode: 444, loopback: true },
      { address: "::ffff:127.0.0.1", port: 9231, inode: 555, loopback: true }
    ])
  })

  it("reads socket inodes, uids and recognises node executables", () => {
    assert.strictEqual(socketInode("socket:[12345]"), 12345)
    assert.strictEqual(socketInode("/dev/null"), undefined)
    assert.deepStrictEqual(parseUids("Name:\tnode\nUid:\t1000\t1001\t1000\t1000\n"), { real: 1000, effective: 1001 })
    assert.isTrue(looksLikeNode("/usr/local/bin/node"))
    assert.isTrue(looksLikeNode("/opt/node24 (deleted)"))
    assert.isFalse(looksLikeNode("/usr/bin/python3"))
    assert.isFalse(looksLikeNode("/usr/bin/nodemon"))
    assert.isTrue(catchesSigusr1("SigCgt:\t0000000008000200\n"))
    assert.isFalse(catchesSigusr1("SigCgt:\t0000000008000000\n"))
  })
})
