/**
 * Live capture cost in the target: a Node process calls `work()` in a loop, timing every call and its
 * event-loop delay; the bench attaches once and measures, in alternating rounds, the same loop unprobed
 * (attached, no breakpoint), with a probe whose condition is false, with a log probe that logs every
 * call, and with a snapshot probe that captures every call (rates lifted so each hit does the work).
 * Per-hit cost = call time with the probe − call time unprobed. Also: attach → first probe installed
 * on fresh targets (SIGUSR1 included), and the one pause a snapshot location takes to learn its names.
 * `npx tsx bench/live-capture.ts [--rounds N] [--calls N]`. Writes bench/results/live-capture.json.
 */
import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { Deferred, Effect, Either, Exit, Fiber, Queue } from "effect"
import type { LiveSession } from "../src/layers/debugger/live/LiveSession.js"
import { attach } from "../src/layers/debugger/live/LiveSession.js"
import { makeProbe } from "../src/services/debugger/live/ProbeSpec.js"

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const rounds = arg("rounds", 5)
const calls = arg("calls", 2000)

const targetSource = `
const { monitorEventLoopDelay } = require("node:perf_hooks")
const cart = { total: 0, items: [{ sku: "pen", qty: 2 }, { sku: "ink", qty: 1 }], owner: "ann", tags: new Map([["a", 1]]) }
function work(i, cart) {
  const x = i % 1000
  cart.total = (cart.total + x) % 1e9 // probe
  return x
}
const N = Number(process.env.CALLS)
const samples = new Float64Array(N)
let count = 0, collecting = false, i = 0
const h = monitorEventLoopDelay({ resolution: 1 })
h.enable()
const q = (a, p) => a[Math.min(a.length - 1, Math.floor(p * a.length))]
function tick() {
  for (let k = 0; k < 20; k++) {
    const t0 = performance.now()
    work(i++, cart)
    const d = performance.now() - t0
    if (collecting && count < N) samples[count++] = d
  }
  if (collecting && count >= N) {
    collecting = false
    const s = Array.from(samples).sort((a, b) => a - b)
    process.stdout.write(JSON.stringify({ p50: q(s, 0.5) * 1000, p99: q(s, 0.99) * 1000, max: s[s.length - 1] * 1000,
      loopP50: h.percentile(50) / 1e6, loopP99: h.percentile(99) / 1e6, loopMax: h.max / 1e6 }) + "\\n")
  }
  setTimeout(tick, 1)
}
process.stdin.on("data", (d) => { if (String(d).includes("go")) { count = 0; h.reset(); collecting = true } })
tick()
process.stdout.write("ready\\n")
`

interface Stats { p50: number; p99: number; max: number; loopP50: number; loopP99: number; loopMax: number }

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dd-live-bench-"))
const targetFile = path.join(dir, "bench-target.js")
fs.writeFileSync(targetFile, targetSource)
const probeLine = targetSource.split("\n").findIndex((l) => l.includes("// probe")) + 1

const spawnTarget = Effect.acquireRelease(
  Effect.gen(function*() {
    const lines = yield* Queue.unbounded<string>()
    const exited = yield* Deferred.make<void>()
    const child = cp.spawn(process.execPath, ["--inspect-port=0", targetFile], { stdio: ["pipe", "pipe", "ignore"], env: { ...process.env, CALLS: String(calls) } })
    child.on("exit", () => Deferred.unsafeDone(exited, Exit.void))
    readline.createInterface({ input: child.stdout! }).on("line", (l) => Queue.unsafeOffer(lines, l))
    const next = Queue.take(lines).pipe(Effect.timeoutFail({ duration: "120 seconds", onTimeout: () => new Error("target silent") }))
    if ((yield* next) !== "ready") throw new Error("target did not start")
    const measure = Effect.gen(function*() {
      child.stdin!.write("go\n")
      return JSON.parse(yield* next) as Stats
    })
    return { pid: child.pid!, measure, child, exited: Deferred.await(exited) }
  }),
  (t) => Effect.sync(() => t.child.kill("SIGKILL")).pipe(Effect.zipRight(t.exited.pipe(Effect.timeoutOption("5 seconds"))))
)

type Mode = "unprobed" | "false condition" | "log probe" | "snapshot"
const modes: ReadonlyArray<Mode> = ["unprobed", "false condition", "log probe", "snapshot"]

const probeFor = (mode: Mode) => {
  const spec = `bench-target.js:${probeLine}`
  switch (mode) {
    case "unprobed": return undefined
    case "false condition": return Either.getOrThrow(makeProbe(spec, { id: "false", condition: "x < 0" }))
    case "log probe": return Either.getOrThrow(makeProbe(spec, { id: "log", template: "x={x} total={cart.total}", perSecond: 1e9 }))
    case "snapshot": return Either.getOrThrow(makeProbe(spec, { id: "snap", perSecond: 1e9 }))
  }
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const maxOf = (xs: ReadonlyArray<number>) => Math.max(...xs)

const measureMode = (s: LiveSession, t: Effect.Effect.Success<typeof spawnTarget>, mode: Mode) =>
  Effect.gen(function*() {
    const probe = probeFor(mode)
    if (probe !== undefined) yield* s.install(probe)
    const stats = yield* t.measure
    if (probe !== undefined) yield* s.remove(probe.id)
    return stats
  })

const program = Effect.gen(function*() {
  // Attach → first probe installed, on fresh targets (inspector opened by SIGUSR1 each time).
  const attachMs: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    yield* Effect.scoped(Effect.gen(function*() {
      const t = yield* spawnTarget
      const t0 = performance.now()
      const s = yield* attach(t.pid)
      yield* s.install(probeFor("snapshot")!)
      attachMs.push(performance.now() - t0)
    }))
  }

  const t = yield* spawnTarget
  const detached = yield* t.measure
  const s = yield* attach(t.pid, { globalSnapshotsPerSecond: 1e9, globalLogsPerSecond: 1e9 })
  let hits = 0
  const drain = yield* Effect.forkScoped(Effect.forever(Effect.tap(Queue.take(s.hits), () => Effect.sync(() => void hits++))))
  const results = new Map<Mode, Array<Stats>>(modes.map((m) => [m, []]))
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so drift on the shared machine spreads over every mode.
    const order = r % 2 === 0 ? modes : [...modes].reverse()
    for (const m of order) results.get(m)!.push(yield* measureMode(s, t, m))
  }
  const counters = yield* s.counters
  yield* Fiber.interrupt(drain)

  const base = results.get("unprobed")!
  const rows = modes.map((m) => {
    const rs = results.get(m)!
    return {
      mode: m,
      callP50us: median(rs.map((x) => x.p50)),
      callP99us: median(rs.map((x) => x.p99)),
      callMaxUs: maxOf(rs.map((x) => x.max)),
      perHitP50us: median(rs.map((x, i) => x.p50 - base[i]!.p50)),
      loopP99ms: median(rs.map((x) => x.loopP99)),
      loopMaxMs: maxOf(rs.map((x) => x.loopMax))
    }
  })
  const fmt = (n: number, d = 1) => n.toFixed(d)
  console.log(`live capture, ${rounds} alternating rounds of ${calls} calls; ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`)
  console.log(`not attached: call p50 ${fmt(detached.p50, 2)} µs, p99 ${fmt(detached.p99, 2)} µs`)
  console.log("| mode | call p50 (µs) | call p99 (µs) | call max (µs) | per-hit p50 (µs) | loop delay p99 (ms) | loop delay max (ms) |")
  console.log("|---|---:|---:|---:|---:|---:|---:|")
  for (const r of rows) {
    console.log(`| ${r.mode} | ${fmt(r.callP50us)} | ${fmt(r.callP99us)} | ${fmt(r.callMaxUs)} | ${fmt(r.perHitP50us)} | ${fmt(r.loopP99ms, 2)} | ${fmt(r.loopMaxMs, 2)} |`)
  }
  const pauseUs = counters.pauses === 0 ? 0 : counters.pauseMicros / counters.pauses
  console.log(`first-hit pauses (learning a location's names): ${counters.pauses}, mean ${fmt(pauseUs / 1000, 2)} ms`)
  console.log(`attach → first probe installed: p50 ${fmt(median(attachMs))} ms, max ${fmt(maxOf(attachMs))} ms (fresh targets, SIGUSR1)`)
  console.log(`hits received: ${hits}, dropped: ${counters.dropped}, invalid: ${counters.invalid}`)
  const out = { date: new Date().toISOString(), rounds, calls, cores: os.cpus().length, load: os.loadavg()[0], detached, rows, pauses: counters.pauses, pauseMeanUs: pauseUs, attachMs, hits }
  fs.mkdirSync("bench/results", { recursive: true })
  fs.writeFileSync("bench/results/live-capture.json", JSON.stringify(out, null, 2) + "\n")
})

Effect.runPromise(Effect.scoped(program).pipe(Effect.ensuring(Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))))).catch((e) => {
  console.error(e)
  process.exitCode = 1
})
