/**
 * The intake under hostile input: six streams keep sending a ~1.4 KB zstd batch that expands to 2.8 M empty
 * logs (the 16 MiB decompressed limit's worth), while one healthy stream sends small batches and times its
 * acks. Reports the intake's peak RSS and the healthy stream's ack latency.
 *
 * Run: `npm run build && npx tsx bench/intake-attack.ts [--seconds 20] [--checkout DIR] [--tsx] [--level 19]`: attacks
 * `dist/dd-agent.mjs intake` of DIR (default: this checkout; another one, e.g. an older commit, gives a
 * before/after), or with --tsx `bin/dd-agent.js` (tsx compiling the sources: a much larger baseline RSS).
 */
import * as grpc from "@grpc/grpc-js"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import * as Zlib from "node:zlib"
import { type BatchStatusMessage, StatefulLogsClient } from "../src/layers/logs/grpcDefinition.js"
import { machine, printTable, writeResults } from "./support/loghub.js"

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const seconds = Number(arg("seconds") ?? 20)
const checkout = Path.resolve(arg("checkout") ?? ".")
const entry = Path.join(checkout, process.argv.includes("--tsx") ? "bin/dd-agent.js" : "dist/dd-agent.mjs")
const attackers = Number(arg("attackers") ?? 6)
/** The bomb's zstd level: 19 gives it an 8 MiB window, which each decompressor allocates. */
const level = Number(arg("level") ?? 19)
const key = "bench-key"

// An empty raw log is 6 bytes in a DatumSequence: data{ logs{ raw: "" } }.
const emptyLog = Buffer.from([0x0a, 0x04, 0x32, 0x02, 0x1a, 0x00])
const attackLogs = Math.floor((16 * 1024 * 1024) / emptyLog.length)
const attackBatch = Zlib.zstdCompressSync(Buffer.concat(Array.from({ length: attackLogs }, () => emptyLog)), {
  params: { [Zlib.constants.ZSTD_c_compressionLevel]: level }
})

/** A healthy batch: 20 short raw logs, as identity. */
const healthyBatch = (() => {
  const parts: Array<Buffer> = []
  for (let i = 0; i < 20; i++) {
    const raw = Buffer.from(`healthy line ${i} GET /api/items 200`)
    const log = Buffer.concat([Buffer.from([0x1a, raw.length]), raw])
    parts.push(Buffer.from([0x0a, log.length + 2, 0x32, log.length]), log)
  }
  return Buffer.concat(parts)
})()

const outDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "intake-attack-"))
process.on("exit", () => Fs.rmSync(outDir, { recursive: true, force: true }))

const startIntake = () =>
  new Promise<{ port: number; pid: number; stop: () => Promise<string> }>((resolve, reject) => {
    const out = Path.join(outDir, "out.jsonl")
    const child = spawn(process.execPath, [...(process.env.INTAKE_NODE_FLAGS?.split(" ").filter(Boolean) ?? []), entry, "intake", "--listen", "127.0.0.1:0", "--out", out], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DD_API_KEY: key }
    })
    let stderr = ""
    child.stderr.on("data", (d) => { stderr += String(d) })
    child.on("exit", (code) => reject(new Error(`intake exited (${code}): ${stderr}`)))
    Readline.createInterface({ input: child.stdout }).once("line", (line) => {
      const port = (JSON.parse(line) as { listening: number }).listening
      resolve({
        port,
        pid: child.pid!,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners("exit")
            child.on("exit", () => done(stderr))
            child.kill("SIGINT")
            setTimeout(() => child.kill("SIGKILL"), 10_000).unref() // an intake that does not stop in time
          })
      })
    })
  })

const metadata = (encoding: string) => {
  const md = new grpc.Metadata()
  md.set("dd-api-key", key)
  md.set("dd-content-encoding", encoding)
  return md
}

const readKb = (pid: number, field: "VmRSS" | "VmHWM") => {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(Fs.readFileSync(`/proc/${pid}/status`, "utf8"))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

const main = async () => {
  const intake = await startIntake()
  const target = `127.0.0.1:${intake.port}`
  const deadline = Date.now() + seconds * 1000
  let attackBatches = 0
  const attackStatuses = new Map<string, number>()

  // Each attacker opens a stream, sends the bomb as batch 1 and waits for the stream to end; then again.
  const attacker = async () => {
    const client = new StatefulLogsClient(target, grpc.credentials.createInsecure())
    while (Date.now() < deadline) {
      await new Promise<void>((done) => {
        const call = client.LogsStream(metadata("zstd"), { deadline: deadline + 5_000 })
        call.on("data", () => {})
        call.on("error", () => {})
        call.on("status", (s) => {
          const k = `${grpc.status[s.code]}: ${s.details.slice(0, 80)}`
          attackStatuses.set(k, (attackStatuses.get(k) ?? 0) + 1)
          done()
        })
        call.write({ batchId: 1, data: attackBatch }, () => { attackBatches++ })
        call.end()
      })
    }
    client.close()
  }

  // The healthy stream sends a batch every 20 ms and times each ack.
  const latencies: Array<number> = []
  const healthy = async () => {
    const client = new StatefulLogsClient(target, grpc.credentials.createInsecure())
    const call = client.LogsStream(metadata("identity"))
    const sentAt = new Map<number, number>()
    call.on("data", (m: BatchStatusMessage) => {
      const t = sentAt.get(m.batchId)
      if (t !== undefined) latencies.push(performance.now() - t)
    })
    call.on("error", () => {})
    let id = 1
    while (Date.now() < deadline) {
      sentAt.set(id, performance.now())
      call.write({ batchId: id++, data: healthyBatch })
      await new Promise((r) => setTimeout(r, 20))
    }
    call.end()
    await new Promise<void>((done) => call.on("status", () => done()))
    client.close()
    return id - 1
  }

  let peakSampled = 0
  const sampler = setInterval(() => { peakSampled = Math.max(peakSampled, readKb(intake.pid, "VmRSS")) }, 50)
  // An intake that stops answering must not hang the benchmark: give up 10 s after the deadline.
  let sent = 0
  const run = Promise.all([healthy().then((n) => { sent = n }), ...Array.from({ length: attackers }, attacker)])
  const givenUp = await Promise.race([run.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), seconds * 1000 + 10_000).unref())])
  clearInterval(sampler)
  const hwm = readKb(intake.pid, "VmHWM")
  const summary = await intake.stop()
  if (givenUp) setTimeout(() => process.exit(0), 1000).unref() // abandon clients still waiting

  const row = {
    intake: Path.relative(process.cwd(), entry) || entry,
    "attack batch bytes": attackBatch.length,
    "attack logs/batch": attackLogs,
    "attack batches sent": attackBatches,
    "intake peak RSS MB": Math.round(Math.max(hwm, peakSampled) / 1024),
    "healthy batches": sent,
    "healthy acks": latencies.length,
    "ack p50 ms": percentile(latencies, 50),
    "ack p99 ms": percentile(latencies, 99),
    "ack max ms": Math.max(...latencies),
    "gave up": givenUp ? "yes" : "no"
  }
  console.log(`intake under attack: ${attackers} streams of zstd bombs + 1 healthy stream, ${seconds} s\n`)
  printTable([row])
  console.log("\nattack stream endings:")
  for (const [k, n] of attackStatuses) console.log(`  ${n} × ${k}`)
  console.log(summary.split("\n").filter((l) => l.startsWith("{\"summary\"")).join("\n"))
  writeResults("intake-attack", { benchmark: "intake-attack", targets: "peak RSS <= 400 MB; healthy ack latency < 250 ms", machine: machine(), results: [row] })
}

await main()
