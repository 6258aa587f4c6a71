/**
 * Loader benchmark (not a test). Runs the deployed bundle (dist/, rebuilt with `npm run build` when older than
 * src/), so its figures agree with ../shared/peers/loader-idle.mjs. Measures, on this machine:
 *  - idle memory holding a TCP and a unix listener: plain Node, `dist/dd-agent-loader.mjs` and `dd-agent loader`
 *    (bin/dd-agent.js), alternating per round, with each round's loader/plain ratio;
 *  - first-request latency through the loader (connect → response, which includes loading the handover and
 *    starting the agent) vs the same fake agent started directly (spawn → ready → response), alternating;
 *  - loader CPU per absorbed probe.
 * Usage: npx tsx bench/loader.ts [--runs N] [--probes N]
 * Writes bench/results/loader.json.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const RUNS = arg("runs", 5)
const PROBES = arg("probes", 200)
const FAKE_AGENT = Path.resolve("test/loader/fixtures/fake-agent.mjs")
const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "dd-loader-bench-"))
// What a deployment runs: the loader's own entry point, and the CLI's `loader` command.
const LOADER = Path.resolve("dist/dd-agent-loader.mjs")
const CLI = Path.resolve("bin/dd-agent.js")

/** Rebuilds dist/ when a source is newer than the loader bundle. */
const ensureBuilt = () => {
  const newest = Fs.readdirSync("src", { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((t, e) => Math.max(t, Fs.statSync(Path.join(e.parentPath, e.name)).mtimeMs), 0)
  if (Fs.existsSync(LOADER) && Fs.statSync(LOADER).mtimeMs >= newest) return
  console.error("dist/ is missing or older than src/: npm run build")
  ChildProcess.execFileSync("npm", ["run", "build"], { stdio: ["ignore", 2, 2] })
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const now = () => performance.now()

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = Net.createServer()
    s.listen({ host: "127.0.0.1", port: 0 }, () => {
      const port = (s.address() as Net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

const status = (pid: number) => {
  const text = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN)
  return { rssMB: kb("VmRSS") / 1024, anonMB: kb("RssAnon") / 1024, fileMB: kb("RssFile") / 1024, threads: kb("Threads") }
}
const cpuMs = (pid: number) => {
  const f = Fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100 // utime + stime, USER_HZ = 100
}

interface Proc {
  child: ChildProcess.ChildProcess
  waitFor: (re: RegExp, stream: "stdout" | "stderr", times?: number) => Promise<string>
  text: () => string
  stop: () => Promise<void>
}
const start = (argv: ReadonlyArray<string>, env: Record<string, string>): Proc => {
  const child = ChildProcess.spawn(process.execPath, argv, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const text = { stdout: "", stderr: "" }
  const waiters: Array<() => void> = []
  for (const s of ["stdout", "stderr"] as const) {
    child[s]!.on("data", (d: Buffer) => {
      text[s] += d.toString()
      waiters.forEach((w) => w())
    })
  }
  const exited = new Promise<void>((r) => child.once("exit", () => r()))
  return {
    child,
    text: () => text.stderr,
    waitFor: (re, stream, times = 1) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timeout waiting for ${re}: ${text.stderr}`)), 30_000)
        const global = new RegExp(re.source, "g")
        const check = () => {
          const n = text[stream].match(global)?.length ?? 0
          if (n >= times) {
            clearTimeout(timer)
            resolve(text[stream])
          }
        }
        waiters.push(check)
        check()
      }),
    stop: async () => {
      child.kill("SIGTERM")
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
      child.kill("SIGKILL")
    }
  }
}

const request = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const s = Net.connect({ host: "127.0.0.1", port })
    s.on("error", reject)
    s.on("data", () => {})
    s.on("close", () => resolve())
    s.write("POST /v0.4/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")
  })
const probe = (port: number) =>
  new Promise<void>((resolve) => {
    const s = Net.connect({ host: "127.0.0.1", port })
    s.on("error", () => resolve())
    s.once("connect", () => s.end())
    s.on("close", () => resolve())
    s.resume()
  })

const loaderEnv = (port: number, sock: string) => ({
  DD_APM_RECEIVER_PORT: String(port),
  DD_APM_RECEIVER_SOCKET: sock,
  DD_LOG_LEVEL: "debug"
})

// The floor: plain Node holding the same two listeners, no Effect (as ../shared/peers/loader-idle.mjs runs it).
const PLAIN = `const net = require("node:net");
net.createServer({ pauseOnConnect: true }).listen({ host: "127.0.0.1", port: Number(process.env.DD_APM_RECEIVER_PORT) });
net.createServer({ pauseOnConnect: true }).listen({ path: process.env.DD_APM_RECEIVER_SOCKET }, () => console.error("Polling..."));`

const idleVariants: Record<string, ReadonlyArray<string>> = {
  plain: ["-e", PLAIN],
  loader: [LOADER, "--handle-tcp-probe", "--", "node", FAKE_AGENT],
  cliLoader: [CLI, "loader", "--handle-tcp-probe", "--", "node", FAKE_AGENT]
}

/** Idle memory of each variant, in alternating rounds; the ratios are per round, then the median. */
async function idleMemory(rounds: number) {
  const samples: Record<string, Array<ReturnType<typeof status>>> = { plain: [], loader: [], cliLoader: [] }
  for (let r = 0; r < rounds; r++) {
    for (const [name, argv] of Object.entries(idleVariants)) {
      const port = await freePort()
      const p = start(argv, loaderEnv(port, Path.join(work, `${name}${r}.sock`)))
      await p.waitFor(/Polling\.\.\./, "stderr")
      await new Promise((ok) => setTimeout(ok, 3000)) // let start-up garbage settle before sampling
      samples[name]!.push(status(p.child.pid!))
      await p.stop()
    }
  }
  const med = (name: string, k: keyof ReturnType<typeof status>) => median(samples[name]!.map((s) => s[k]))
  const ratio = (name: string) => median(samples[name]!.map((s, i) => s.rssMB / samples["plain"]![i]!.rssMB))
  const of = (name: string) => ({ rssMB: med(name, "rssMB"), anonMB: med(name, "anonMB"), fileMB: med(name, "fileMB"), threads: med(name, "threads") })
  return { rounds, plain: of("plain"), loader: { ...of("loader"), ratio: ratio("loader") }, cliLoader: { ...of("cliLoader"), ratio: ratio("cliLoader") } }
}

async function firstRequestViaLoader() {
  const port = await freePort()
  const p = start([LOADER, "--handle-tcp-probe", "--", "node", FAKE_AGENT], loaderEnv(port, ""))
  await p.waitFor(/Polling\.\.\./, "stderr")
  const t0 = now()
  await request(port)
  const ms = now() - t0
  await p.stop()
  return ms
}

async function firstRequestDirect() {
  const port = await freePort()
  const t0 = now()
  const p = start([FAKE_AGENT], { FAKE_AGENT_LISTEN_PORT: String(port) })
  await p.waitFor(/"ready"/, "stdout")
  await request(port)
  const ms = now() - t0
  await p.stop()
  return ms
}

async function probeCost() {
  const port = await freePort()
  const p = start([LOADER, "--handle-tcp-probe", "--", "node", FAKE_AGENT], loaderEnv(port, ""))
  await p.waitFor(/Polling\.\.\./, "stderr")
  const before = cpuMs(p.child.pid!)
  for (let i = 1; i <= PROBES; i++) {
    await probe(port)
    await p.waitFor(/TCP client closed connection/, "stderr", i)
  }
  const used = cpuMs(p.child.pid!) - before
  const started = p.text().includes("Starting the trace-agent")
  await p.stop()
  return { probes: PROBES, cpuMsPerProbe: used / PROBES, agentStarted: started }
}

async function main() {
  ensureBuilt()
  const idle = await idleMemory(3)

  const viaLoader: Array<number> = []
  const direct: Array<number> = []
  for (let i = 0; i < RUNS; i++) {
    direct.push(await firstRequestDirect())
    viaLoader.push(await firstRequestViaLoader())
  }
  const probes = await probeCost()

  const result = {
    machine: `${Os.cpus().length}-core ${Os.type()} ${Os.release()}, Node ${process.version}`,
    date: new Date().toISOString(),
    loadAverage: Os.loadavg(),
    idle,
    firstRequest: {
      runs: RUNS,
      directMedianMs: median(direct),
      viaLoaderMedianMs: median(viaLoader),
      overheadMs: median(viaLoader) - median(direct),
      direct,
      viaLoader
    },
    probes
  }
  const f2 = (n: number) => n.toFixed(1)
  console.table({
    "idle RSS, plain Node holding the listeners (MiB)": f2(idle.plain.rssMB),
    "idle RSS, dist/dd-agent-loader.mjs (MiB)": f2(idle.loader.rssMB),
    "idle RSS, dd-agent loader (MiB)": f2(idle.cliLoader.rssMB),
    "idle RssAnon, plain / loader / dd-agent loader (MiB)": `${f2(idle.plain.anonMB)} / ${f2(idle.loader.anonMB)} / ${f2(idle.cliLoader.anonMB)}`,
    "idle RSS ratio loader / plain (median of rounds)": idle.loader.ratio.toFixed(2),
    "idle RSS ratio dd-agent loader / plain": idle.cliLoader.ratio.toFixed(2),
    "first request, agent direct (ms, median)": f2(median(direct)),
    "first request, via loader (ms, median)": f2(median(viaLoader)),
    "loader overhead (ms)": f2(median(viaLoader) - median(direct)),
    "loader CPU per absorbed probe (ms)": f2(probes.cpuMsPerProbe)
  })
  Fs.mkdirSync("bench/results", { recursive: true })
  Fs.writeFileSync("bench/results/loader.json", JSON.stringify(result, null, 2) + "\n")
  Fs.rmSync(work, { recursive: true, force: true })
}

main().catch((e) => {
  Fs.rmSync(work, { recursive: true, force: true })
  console.error(e)
  process.exit(1)
})
