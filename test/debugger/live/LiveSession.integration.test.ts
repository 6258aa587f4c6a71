import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Option, Queue } from "effect"
import type { LiveHit, LiveSession } from "../../../src/layers/debugger/live/LiveSession.js"
import { attach } from "../../../src/layers/debugger/live/LiveSession.js"
import { locateInspector } from "../../../src/layers/debugger/live/InspectorLocator.js"
import { makeProbe } from "../../../src/services/debugger/live/ProbeSpec.js"
import { encode } from "./helper.js"
import { compileTs, fixture, markerLine, spawnTarget } from "./target.js"

const app = fixture("app.js")
const probeAt = (marker: string, over: Parameters<typeof makeProbe>[1] = {}, file = app, name = "app.js") =>
  Either.getOrThrow(makeProbe(`${name}:${markerLine(file, marker)}`, { id: marker, ...over }))

/** The next hits until every probe id in `ids` produced one (bounded). */
const hitsFor = (s: LiveSession, ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const got = new Map<string, LiveHit>()
    while (ids.some((id) => !got.has(id))) {
      const h = yield* Queue.take(s.hits)
      if (h._tag === "ProbeError") return yield* Effect.fail(new Error(`${h.probe.id}: ${h.message}`))
      if (!got.has(h.probe.id)) got.set(h.probe.id, h)
    }
    return got
  }).pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(`no hits for all of ${ids.join(", ")}`) }))

const eventOf = (h: LiveHit | undefined) => {
  if (h === undefined || h._tag === "ProbeError") throw new Error("no capture")
  return h.event
}
const localsOf = (h: LiveHit | undefined) => {
  const msg = encode(eventOf(h)) as any
  return msg.debugger.snapshot.captures.lines[String(h!.probe.line)].locals as Record<string, any>
}

describe("live capture from a running Node.js process", () => {
  it.scopedLive("captures a plain function, a closure, an async function and a class method", () =>
    Effect.gen(function*() {
      const t = yield* spawnTarget(app)
      const s = yield* attach(t.pid)
      assert.isTrue(s.target.openedBySignal)
      assert.strictEqual(s.target.address, "127.0.0.1")
      const ids = ["function", "closure", "async", "method"]
      for (const id of ids) yield* s.install(probeAt(id))
      const hits = yield* hitsFor(s, ids)
      const fn = localsOf(hits.get("function"))
      assert.deepStrictEqual(fn.unit, { type: "number", value: "3" })
      assert.strictEqual(Number(fn.subtotal.value), Number(fn.qty.value) * 3)
      const closure = localsOf(hits.get("closure"))
      assert.deepStrictEqual(closure.step, { type: "number", value: "1" })
      assert.isAbove(Number(closure.count.value), 10, "the closure's variable is read from its context")
      const async = localsOf(hits.get("async"))
      assert.deepStrictEqual(async.total, { type: "number", value: "6.25" })
      assert.deepStrictEqual(async.discount, { type: "number", value: "0.5" })
      assert.strictEqual(async.cart.type, "Cart")
      const method = localsOf(hits.get("method"))
      assert.deepStrictEqual(method.item, { type: "string", value: "book" })
      assert.deepStrictEqual(method.this.fields.owner, { type: "string", value: "ann" })
      const snap = (encode(eventOf(hits.get("method"))) as any).debugger.snapshot
      assert.deepInclude(snap.stack[0], { function: "add", fileName: app, lineNumber: markerLine(app, "method") })
      assert.deepStrictEqual(snap.probe.location, { file: "app.js", lines: [String(markerLine(app, "method"))] })
      const states = yield* s.states
      assert.deepStrictEqual(states.map((x) => [x.id, x.status, x.hits > 0]), ids.map((id) => [id, "installed", true]))
    }))

  it.scopedLive("probes a TypeScript service through its source map, by .ts line", () =>
    Effect.gen(function*() {
      const ts = fixture("service.ts")
      const js = yield* compileTs(ts)
      const t = yield* spawnTarget(js)
      const s = yield* attach(t.pid)
      const probe = probeAt("ts-total", {}, ts, "service.ts")
      const st = yield* s.install(probe)
      assert.strictEqual(st.script, js)
      assert.notStrictEqual(st.generatedLine, probe.line, "the .ts line is not the .js line")
      const hit = (yield* hitsFor(s, ["ts-total"])).get("ts-total")
      const l = localsOf(hit)
      assert.deepStrictEqual(l.d.fields.rate, { type: "number", value: "0.25" })
      assert.strictEqual(l.this.type, "Invoice")
      assert.strictEqual(Number(l.gross.value), 2 * Number(l.this.fields.lines.elements[0].fields.qty.value))
      const top = (encode(eventOf(hit)) as any).debugger.snapshot.stack[0]
      assert.deepStrictEqual([top.fileName, top.lineNumber], [ts, probe.line])
    }))

  it.scopedLive("a condition evaluated by V8: false never fires, true fires only where it holds", () =>
    Effect.gen(function*() {
      const t = yield* spawnTarget(app)
      const s = yield* attach(t.pid)
      yield* s.install(probeAt("function", { id: "never", condition: "qty < 0" }))
      yield* s.install(probeAt("closure", { id: "fifth", condition: "count % 5 === 0" }))
      const hit = (yield* hitsFor(s, ["fifth"])).get("fifth")
      assert.strictEqual(Number(localsOf(hit).count.value) % 5, 0)
      // Ticks after the install, then nothing from the false condition and no pause was needed for it.
      const tick = Number((yield* t.waitFor((l) => l.startsWith("tick"))).split(" ")[1])
      yield* t.waitFor((l) => l.startsWith(`tick ${tick + 20} `))
      const st = (yield* s.states).find((x) => x.id === "never")
      assert.deepStrictEqual([st?.status, st?.hits, st?.errors], ["installed", 0, 0])
      assert.isTrue(Option.isNone(Option.fromNullable((yield* Queue.takeAll(s.hits)).pipe((c) => [...c].find((h) => h.probe.id === "never")))))
    }))

  it.scopedLive("two probes on one line share one breakpoint, each with its own condition", () =>
    Effect.gen(function*() {
      const t = yield* spawnTarget(app)
      const s = yield* attach(t.pid)
      const a = yield* s.install(probeAt("function", { id: "even", condition: "qty % 2 === 0" }))
      const b = yield* s.install(probeAt("function", { id: "odd", condition: "qty % 2 === 1" }))
      assert.strictEqual(a.generatedLine, b.generatedLine)
      const hits = yield* hitsFor(s, ["even", "odd"])
      assert.strictEqual(Number(localsOf(hits.get("even")).qty.value) % 2, 0)
      assert.strictEqual(Number(localsOf(hits.get("odd")).qty.value) % 2, 1)
    }))

  it.scopedLive("a log probe renders its template without a snapshot", () =>
    Effect.gen(function*() {
      const t = yield* spawnTarget(app)
      const s = yield* attach(t.pid)
      yield* s.install(probeAt("method", { id: "log", template: "owner={this.owner} item={item} n={this.items.length}" }))
      const hit = (yield* hitsFor(s, ["log"])).get("log")!
      assert.strictEqual(hit._tag, "Log")
      const msg = encode(eventOf(hit)) as any
      assert.strictEqual(msg.message, "owner=ann item=book n=1")
      assert.isUndefined(msg.debugger.snapshot.captures)
    }))

  it.live("detaching leaves the target running, with no helper, breakpoint or pause left", () =>
    Effect.scoped(Effect.gen(function*() {
      const t = yield* spawnTarget(app)
      yield* Effect.scoped(Effect.gen(function*() {
        const s = yield* attach(t.pid)
        yield* s.install(probeAt("function"))
        yield* hitsFor(s, ["function"])
        yield* t.waitFor((l) => l.endsWith(" helper"))
      }))
      // Progress after the detach, and the helper is gone from the target.
      const first = Number((yield* t.waitFor((l) => l.endsWith(" clean"))).split(" ")[1])
      yield* t.waitFor((l) => l === `tick ${first + 10} clean`)
      // A second session attaches to the same (still open) inspector without a signal.
      const again = yield* Effect.scoped(Effect.map(attach(t.pid), (s) => s.target.openedBySignal))
      assert.isFalse(again)
    })))

  it.scopedLive("a target that exits mid-capture closes the session", () =>
    Effect.gen(function*() {
      const t = yield* spawnTarget(app)
      const s = yield* attach(t.pid)
      yield* s.install(probeAt("function"))
      t.child.stdin!.write("exit\n")
      yield* s.closed.pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error("session not closed") }))
      assert.strictEqual(yield* t.exited, 0)
    }))

  it.scopedLive("refuses what it cannot probe, naming the input", () =>
    Effect.gen(function*() {
      const t = yield* spawnTarget(app)
      const s = yield* attach(t.pid)
      const missing = yield* Effect.flip(s.install(Either.getOrThrow(makeProbe("nowhere.js:3"))))
      assert.strictEqual(missing.message, "probe nowhere.js:3: no loaded script or source-mapped source ends with nowhere.js")
      const sleeper = cp.spawn("sleep", ["30"])
      yield* Effect.addFinalizer(() => Effect.sync(() => sleeper.kill("SIGKILL")))
      const notNode = yield* Effect.flip(attach(sleeper.pid!))
      assert.strictEqual(notNode._tag, "NotNodeProcess")
      const gone = yield* Effect.flip(locateInspector(0x3fffff + 7))
      assert.strictEqual(gone._tag, "ProcessNotFound")
    }))
})

describe("inspector safety: SIGUSR1", () => {
  it.scopedLive("never signals a process that does not handle SIGUSR1 (it would end it)", () =>
    Effect.gen(function*() {
      const t = yield* spawnTarget(app, { args: ["--disable-sigusr1"] })
      const e = yield* Effect.flip(attach(t.pid, { locate: { signalTimeout: "300 millis" } }))
      assert.strictEqual(e._tag, "InspectorUnreachable")
      assert.include(e.message, "does not handle SIGUSR1")
      const n = Number((yield* t.waitFor((l) => l.startsWith("tick"))).split(" ")[1])
      yield* t.waitFor((l) => l.startsWith(`tick ${n + 3} `))
    }))
})

describe("inspector safety checks (a /proc tree written by the test)", () => {
  const fakeProc = (pid: number, opts: { uid: number; exe: string; listen: string; cmdline?: string }) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dd-live-proc-"))
    const dir = path.join(root, String(pid))
    fs.mkdirSync(path.join(dir, "fd"), { recursive: true })
    fs.mkdirSync(path.join(dir, "net"))
    fs.writeFileSync(path.join(dir, "status"), `Name:\tnode\nUid:\t${opts.uid}\t${opts.uid}\t${opts.uid}\t${opts.uid}\n`)
    fs.writeFileSync(path.join(dir, "cmdline"), (opts.cmdline ?? "node\0app.js") + "\0")
    fs.symlinkSync(opts.exe, path.join(dir, "exe"))
    fs.symlinkSync("socket:[777]", path.join(dir, "fd", "3"))
    fs.writeFileSync(path.join(dir, "net", "tcp"),
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
        `   0: ${opts.listen} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1\n`)
    fs.writeFileSync(path.join(dir, "net", "tcp6"), "  sl\n")
    return root
  }

  it.effect("never connects to an inspector bound to a non-loopback address", () =>
    Effect.gen(function*() {
      const root = fakeProc(4242, { uid: 1000, exe: "/usr/bin/node", listen: "00000000:240D" })
      const e = yield* Effect.flip(locateInspector(4242, { procRoot: root, ownUid: 1000 }))
      assert.strictEqual(e.message, "pid 4242: inspector listens on 0.0.0.0:9229, not on a loopback address; refusing to connect")
      fs.rmSync(root, { recursive: true })
    }))

  it.effect("refuses another user's process unless root, and non-Node processes", () =>
    Effect.gen(function*() {
      const root = fakeProc(4242, { uid: 0, exe: "/usr/bin/node", listen: "0100007F:240D" })
      const other = yield* Effect.flip(locateInspector(4242, { procRoot: root, ownUid: 1000 }))
      assert.strictEqual(other.message, "pid 4242 belongs to uid 0, not to uid 1000: attaching to another user's process needs root")
      const py = fakeProc(4243, { uid: 1000, exe: "/usr/bin/python3", listen: "0100007F:240D", cmdline: "python3\0x.py" })
      const notNode = yield* Effect.flip(locateInspector(4243, { procRoot: py, ownUid: 1000 }))
      assert.strictEqual(notNode.message, "pid 4243: /usr/bin/python3 is not a Node.js process")
      fs.rmSync(root, { recursive: true })
      fs.rmSync(py, { recursive: true })
    }))

  it.effect("an unreadable fd directory is an error naming it, not a process without listeners; a missing tcp6 table is empty", () =>
    Effect.gen(function*() {
      const root = fakeProc(4242, { uid: 1000, exe: "/usr/bin/node", listen: "00000000:240D" })
      fs.rmSync(path.join(root, "4242", "net", "tcp6"))
      const exposed = yield* Effect.flip(locateInspector(4242, { procRoot: root, ownUid: 1000, signalTimeout: "50 millis" }))
      assert.strictEqual(exposed._tag, "NonLoopbackInspector")
      const fdDir = path.join(root, "4242", "fd")
      fs.rmSync(fdDir, { recursive: true })
      fs.writeFileSync(fdDir, "")
      const e = yield* Effect.flip(locateInspector(4242, { procRoot: root, ownUid: 1000, signalTimeout: "50 millis" }))
      assert.strictEqual(e._tag, "ProcReadFailed")
      assert.include(e.message, `pid 4242: cannot readdir ${fdDir}: ENOTDIR`)
      fs.rmSync(root, { recursive: true })
    }))
})
