/**
 * End-to-end sender throughput: generated realistic lines through one stream worker to the reference intake
 * running in a separate process on loopback, plus, in the same run, the HTTP JSON batch baselines (gzip 6,
 * zstd 1) for the same lines. Run: `npx tsx bench/logs-send.ts [--lines N] [--compression zstd|identity]`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Redacted } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import * as Zlib from "node:zlib"
import { layerGrpcStreamTransport } from "../src/layers/logs/GrpcStreamTransport.js"
import type { LogMessage } from "../src/services/logs/LogMessage.js"
import { makeSender } from "../src/services/logs/Sender.js"
import { decodeSenderConfig } from "../src/services/logs/SenderConfig.js"
import { generateLines } from "./support/lines.js"
import { machine, printTable, writeResults } from "./support/loghub.js"

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const totalLines = Number(arg("lines", "1000000"))
const encoding = arg("compression", "zstd") as "zstd" | "identity"
const KEY = "bench-key"
const tags = ["env:prod", "service:web", "source:apache", "host:bench-1"]
const chunk = 1_000

const lines = generateLines(50_000)
const source = "generated access-log lines"
const lineAt = (i: number) => lines[i % lines.length]!
const baseTs = 1_763_856_000_000

/** The intake in its own process; resolves with its port once it prints `{"listening": PORT}`. */
const startIntake = Effect.acquireRelease(
  Effect.async<{ child: ChildProcess.ChildProcess; port: number; out: string }, Error>((resume) => {
    const out = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "logs-bench-")), "intake.jsonl")
    const child = ChildProcess.spawn(process.execPath, [Path.resolve("bin/dd-agent.js"), "intake", "--listen", "127.0.0.1:0", "--api-key", KEY, "--out", out], { stdio: ["ignore", "pipe", "inherit"] })
    child.once("error", (e) => resume(Effect.fail(e)))
    child.once("exit", (code) => resume(Effect.fail(new Error(`intake exited (${code}) before listening`))))
    Readline.createInterface({ input: child.stdout! }).once("line", (l) => resume(Effect.succeed({ child, port: (JSON.parse(l) as { listening: number }).listening, out })))
  }),
  ({ child }) => Effect.async<void>((resume) => {
    if (child.exitCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGTERM")
  })
)

const countLines = (file: string) => {
  const buf = Fs.readFileSync(file)
  let n = 0
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++
  return n
}

const baselines = () => {
  const rows: Array<{ name: string; bytes: number; cpuMs: number }> = []
  let gzip = 0
  let zstd = 0
  let json = 0
  let gzipNs = 0n
  let zstdNs = 0n
  for (let i = 0; i < totalLines; i += chunk) {
    const batch = []
    for (let j = i; j < Math.min(totalLines, i + chunk); j++) {
      batch.push({ message: lineAt(j), ddsource: "apache", ddtags: tags.join(","), hostname: "bench-1", service: "web", status: "info", timestamp: baseTs + j })
    }
    const body = Buffer.from(JSON.stringify(batch))
    json += body.length
    let t = process.hrtime.bigint()
    gzip += Zlib.gzipSync(body, { level: 6 }).length
    gzipNs += process.hrtime.bigint() - t
    t = process.hrtime.bigint()
    zstd += Zlib.zstdCompressSync(body, { params: { [Zlib.constants.ZSTD_c_compressionLevel]: 1 } }).length
    zstdNs += process.hrtime.bigint() - t
  }
  rows.push({ name: "HTTP JSON (uncompressed)", bytes: json, cpuMs: 0 })
  rows.push({ name: "HTTP JSON gzip 6", bytes: gzip, cpuMs: Number(gzipNs) / 1e6 })
  rows.push({ name: "HTTP JSON zstd 1", bytes: zstd, cpuMs: Number(zstdNs) / 1e6 })
  return rows
}

const program = Effect.gen(function*() {
  const config = yield* decodeSenderConfig({ encoding, workers: 1 })
  const intake = yield* startIntake
  const rssBefore = process.memoryUsage().rss
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  let offeredAt = t0
  const { report, status } = yield* Effect.gen(function*() {
    const sender = yield* makeSender(config)
    for (let i = 0; i < totalLines; i += chunk) {
      const logs: Array<LogMessage> = []
      for (let j = i; j < Math.min(totalLines, i + chunk); j++) logs.push({ content: lineAt(j), timestamp: baseTs + j, tags, status: "info" })
      yield* sender.send(logs)
    }
    offeredAt = process.hrtime.bigint()
    const report = yield* sender.shutdown
    return { report, status: yield* sender.status }
  }).pipe(
    Effect.scoped,
    Effect.provide(layerGrpcStreamTransport({ host: "127.0.0.1", port: intake.port, apiKey: Redacted.make(KEY), insecure: true, encoding }))
  )
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  const peakRss = process.resourceUsage().maxRSS * 1024
  const wire = status.reduce((n, w) => n + w.bytesOnWire, 0)
  const received = countLines(intake.out)
  const rawBytes = (() => {
    let n = 0
    for (let i = 0; i < Math.min(totalLines, lines.length); i++) n += Buffer.byteLength(lineAt(i))
    return (n / Math.min(totalLines, lines.length)) * totalLines
  })()
  const base = baselines()
  const zstdJson = base.find((b) => b.name === "HTTP JSON zstd 1")!.bytes
  const rows = [
    {
      transport: `stateful stream (${encoding}), 1 worker`,
      "logs/s": Math.round(totalLines / seconds),
      "MB/s (raw text)": +(rawBytes / 1e6 / seconds).toFixed(1),
      "CPU µs/log (sender)": +(((cpu.user + cpu.system) / totalLines)).toFixed(2),
      "wire B/log": +(wire / totalLines).toFixed(2),
      "vs zstd JSON": +(wire / zstdJson).toFixed(3)
    },
    ...base.map((b) => ({
      transport: b.name,
      "logs/s": "",
      "MB/s (raw text)": "",
      "CPU µs/log (sender)": b.cpuMs === 0 ? "" : +((b.cpuMs * 1000) / totalLines).toFixed(2),
      "wire B/log": +(b.bytes / totalLines).toFixed(2),
      "vs zstd JSON": +(b.bytes / zstdJson).toFixed(3)
    }))
  ]
  console.log(`${totalLines.toLocaleString("en-US")} lines from ${source}, avg ${(rawBytes / totalLines).toFixed(0)} B; intake in a separate process on loopback\n`)
  printTable(rows as Array<Record<string, string | number>>)
  console.log(`\nall lines handed to the sender after ${(Number(offeredAt - t0) / 1e9).toFixed(2)} s`)
  console.log(`acked ${report.acked}, unacked ${report.unacked}, intake wrote ${received} logs; ${seconds.toFixed(2)} s; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (start ${(rssBefore / 2 ** 20).toFixed(0)} MiB)`)
  writeResults("logs-send", {
    machine: machine(),
    lines: totalLines,
    source,
    encoding,
    seconds,
    logsPerSecond: totalLines / seconds,
    cpuMicrosPerLog: (cpu.user + cpu.system) / totalLines,
    peakRssMiB: peakRss / 2 ** 20,
    wireBytesPerLog: wire / totalLines,
    acked: report.acked,
    unacked: report.unacked,
    intakeReceived: received,
    baselines: base.map((b) => ({ ...b, bytesPerLog: b.bytes / totalLines })),
    ratioToZstdJson: wire / zstdJson
  })
  if (report.acked !== totalLines || received < totalLines) return yield* Effect.fail(new Error("not every line was delivered"))
})

NodeRuntime.runMain(Effect.scoped(program))
