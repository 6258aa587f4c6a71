/**
 * Process resolver benchmark (not a test). Run: npx tsx bench/process.ts [--rounds N] [--lookups N]
 * - cold: every process on the machine resolved into an empty cache (facts + parent link + memfd scan);
 * - cached: resolve(pid) hits on a warm cache;
 * - discovery: tracer-memfd discovery alone, for a process without and with a published memfd.
 * Prints a table and writes bench/results/process.json.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Command } from "@effect/platform"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Option, Stream } from "effect"
import * as ProcFsLive from "../src/layers/process/ProcFsLive.js"
import { ProcFs } from "../src/services/process/ProcFs.js"
import { make } from "../src/services/process/ProcessResolver.js"
import { resolverConfig } from "../src/services/process/ResolverConfig.js"
import { discoverTracerMetadata } from "../src/services/process/TracerMetadataDiscovery.js"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const rounds = arg("rounds", 20)
const lookups = arg("lookups", 1_000_000)

const now = () => process.hrtime.bigint()
const ms = (ns: bigint) => Number(ns) / 1e6

/**
 * One cold round. "scan": the watcher's first scan (list /proc, stat every pid, resolve all into an empty
 * cache). "resolve": resolve(pid) on demand for every pid (each also stats its parent to link it).
 */
const coldRound = (mode: "scan" | "resolve", concurrency: number) =>
  Effect.scoped(Effect.gen(function*() {
    const resolver = yield* make(resolverConfig({ concurrency }))
    const procFs = yield* ProcFs
    const cpu0 = process.cpuUsage()
    const t0 = now()
    if (mode === "scan") {
      yield* resolver.scan
    } else {
      const pids = yield* procFs.pids
      yield* Effect.forEach(pids, (pid) => Effect.option(resolver.resolve(pid)), { concurrency, discard: true })
    }
    const elapsed = now() - t0
    const cpu = process.cpuUsage(cpu0)
    const entries = yield* resolver.entries
    const userSpace = entries.filter((e) => Option.isSome(e.facts.exe)).length
    return { processes: entries.length, userSpace, ns: elapsed, cpuUs: cpu.user + cpu.system }
  }))

const program = Effect.gen(function*() {
  const procFs = yield* ProcFs
  // One real tracer memfd on the machine, so discovery is measured on a hit too.
  const writer = yield* Command.start(Command.make("python3", path.resolve("test/process/fixtures/tracer_memfd_writer.py"),
    JSON.stringify([{ schema_version: 2, tracer_language: "python", tracer_version: "1", hostname: "b", service_name: "bench" }])))
  const line = yield* writer.stdout.pipe(Stream.decodeText(), Stream.splitLines, Stream.runHead)
  const writerPid = Number(Option.getOrThrow(line).split(" ")[0])

  const cold: Array<Record<string, number | string>> = []
  for (const [mode, concurrency] of [["resolve", 1], ["resolve", 16], ["scan", 16], ["scan", 64]] as const) {
    yield* coldRound(mode, concurrency) // warm-up (JIT, dentry cache)
    let processes = 0
    let ns = 0n
    let cpuUs = 0
    let userSpace = 0
    for (let i = 0; i < rounds; i++) {
      const r = yield* coldRound(mode, concurrency)
      processes += r.processes
      ns += r.ns
      cpuUs += r.cpuUs
      userSpace += r.userSpace
    }
    cold.push({
      mode,
      concurrency,
      processes_per_round: processes / rounds,
      // the rest are kernel threads, resolved from stat + status only
      with_executable_per_round: userSpace / rounds,
      processes_per_s: Math.round(processes / (Number(ns) / 1e9)),
      // Wall time depends on what else runs on the machine; CPU time spent per process does much less.
      processes_per_cpu_s: Math.round(processes / (cpuUs / 1e6)),
      ms_per_round: Math.round((ms(ns) / rounds) * 100) / 100
    })
  }

  const cached = yield* Effect.scoped(Effect.gen(function*() {
    const resolver = yield* make(resolverConfig())
    const pids = yield* procFs.pids
    yield* Effect.forEach(pids, (pid) => Effect.option(resolver.resolve(pid)), { concurrency: 16 })
    const live = (yield* resolver.entries).map((e) => e.key.pid)
    const measure = (f: (pid: number) => Effect.Effect<unknown, unknown>) =>
      Effect.gen(function*() {
        const t0 = now()
        for (let i = 0; i < lookups; i++) yield* f(live[i % live.length]!)
        return Number(now() - t0) / lookups
      })
    yield* measure(resolver.resolve) // warm-up
    return { resolve_ns: yield* measure(resolver.resolve), lookup_ns: yield* measure(resolver.lookup), entries: live.length }
  }))

  const discovery = (pid: number, n: number) =>
    Effect.gen(function*() {
      const t0 = now()
      for (let i = 0; i < n; i++) yield* Effect.either(discoverTracerMetadata(procFs, pid))
      return Number(now() - t0) / n / 1000
    })
  const discoveryMiss = yield* discovery(process.pid, 2000)
  const discoveryHit = yield* discovery(writerPid, 2000)

  const result = {
    load_average_1m: os.loadavg()[0],
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", node: process.version, platform: `${os.platform()} ${os.release()}` },
    rounds,
    cold,
    cached,
    discovery_us: { no_memfd_own_process: discoveryMiss, with_memfd: discoveryHit }
  }
  console.log("cold resolve (empty cache; facts + parent + memfd scan)")
  console.table(cold)
  console.log("cached")
  console.table([{ "resolve(pid) ns": cached.resolve_ns.toFixed(0), "lookup(pid) ns": cached.lookup_ns.toFixed(0), entries: cached.entries }])
  console.log("memfd discovery per process (µs)")
  console.table([{ "no memfd (bench process)": discoveryMiss.toFixed(1), "1 memfd (python writer)": discoveryHit.toFixed(1) }])
  mkdirSync("bench/results", { recursive: true })
  writeFileSync("bench/results/process.json", `${JSON.stringify(result, null, 2)}\n`)
}).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ProcFsLive.layer(), NodeContext.layer)))

NodeRuntime.runMain(program)
