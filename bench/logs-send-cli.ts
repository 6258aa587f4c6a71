/**
 * `dd-agent logs send` as a user runs it: the bundled CLI (npm run build) ships a generated file of realistic
 * lines to the bundled intake, each in its own process on loopback. Reports throughput, the sender process's
 * peak RSS (VmHWM) and CPU time, read from /proc. Run: `npx tsx bench/logs-send-cli.ts [--lines N]`.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import { build } from "esbuild"
import { machine, printTable, writeResults } from "./support/loghub.js"
import { generateLines } from "./support/lines.js"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const totalLines = arg("lines", 1_000_000)
const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "logs-send-cli-"))
const bundle = Path.join(work, "dd-agent.mjs")
const input = Path.join(work, "input.log")
const output = Path.join(work, "intake.jsonl")
const KEY = "bench-key"

const procStatus = (pid: number) => {
  try {
    const text = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
    return Number(/^VmHWM:\s+(\d+)/m.exec(text)?.[1] ?? 0) * 1024
  } catch {
    return 0
  }
}
const procCpuMs = (pid: number) => {
  try {
    const f = Fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100
  } catch {
    return NaN
  }
}

const main = async () => {
  await build({
    entryPoints: [Path.resolve("src/programs/main.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "error"
  })
  const lines = generateLines(50_000)
  const fd = Fs.openSync(input, "w")
  let rawBytes = 0
  for (let i = 0; i < totalLines; i += 10_000) {
    let chunk = ""
    for (let j = i; j < Math.min(totalLines, i + 10_000); j++) chunk += lines[j % lines.length] + "\n"
    rawBytes += Buffer.byteLength(chunk)
    Fs.writeSync(fd, chunk)
  }
  Fs.closeSync(fd)

  const intake = ChildProcess.spawn(process.execPath, [bundle, "intake", "--listen", "127.0.0.1:0", "--api-key", KEY, "--out", output], { stdio: ["ignore", "pipe", "inherit"] })
  const port = await new Promise<number>((resolve, reject) => {
    intake.once("exit", (code) => reject(new Error(`intake exited (${code})`)))
    Readline.createInterface({ input: intake.stdout! }).once("line", (l) => resolve((JSON.parse(l) as { listening: number }).listening))
  })

  const t0 = performance.now()
  const sender = ChildProcess.spawn(process.execPath, [bundle, "logs", "send", "--endpoint", `127.0.0.1:${port}`, "--insecure", "--api-key", KEY, "--tags", "env:prod,service:web", input], { stdio: ["ignore", "ignore", "pipe"] })
  let peak = 0
  let cpuMs = NaN
  let stderr = ""
  sender.stderr!.on("data", (d) => { stderr += String(d) })
  const sampler = setInterval(() => {
    peak = Math.max(peak, procStatus(sender.pid!))
    cpuMs = procCpuMs(sender.pid!)
  }, 20)
  const code = await new Promise<number | null>((resolve) => sender.once("exit", resolve))
  clearInterval(sampler)
  const seconds = (performance.now() - t0) / 1000
  intake.kill("SIGTERM")
  await new Promise((r) => intake.once("exit", r))
  const received = Fs.readFileSync(output, "utf8").split("\n").length - 1
  if (code !== 0 || received !== totalLines) throw new Error(`sender exited ${code}, intake wrote ${received}/${totalLines}: ${stderr}`)

  const row = {
    lines: totalLines,
    "logs/s": Math.round(totalLines / seconds),
    "MB/s (raw text)": +(rawBytes / 1e6 / seconds).toFixed(1),
    "sender peak RSS (MiB)": +(peak / 2 ** 20).toFixed(1),
    "sender CPU µs/log": +((cpuMs * 1000) / totalLines).toFixed(2)
  }
  console.log(`dd-agent logs send (bundled) → dd-agent intake (bundled), separate processes on loopback, zstd, 1 worker\n`)
  printTable([row])
  writeResults("logs-send-cli", { benchmark: "logs-send-cli", targets: { logsPerSecond: 200_000, peakRssMB: 200 }, machine: machine(), seconds, ...row })
}

main().finally(() => Fs.rmSync(work, { recursive: true, force: true }))
