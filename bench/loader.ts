/**
 * Loader benchmark (not a test). Measures, on this machine:
 *  - idle memory of the loader holding a TCP and a unix listener: bundled (esbuild, with the
 *    recommended V8 flags) vs run from sources through tsx;
 *  - first-request latency through the loader (connect → response, which includes starting the
 *    agent) vs the same fake agent started directly (spawn → ready → response);
 *  - loader CPU per absorbed probe.
 * Usage: npx tsx bench/loader.ts [--runs N] [--probes N]
 * Writes bench/results/loader.json.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { build } from "esbuild"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const RUNS = arg("runs", 5)
const PROBES = arg("probes", 200)
// A 16 MB old space (suggested for tiny programs) makes this bundle thrash in GC: start-up took
// ~1.2 s instead of ~0.3 s and activation ~180 ms instead of ~15 ms. 32 MB does not.
const FLAGS = ["--max-semi-space-size=1", "--max-old-space-size=32", "--v8-pool-size=0"]
const FAKE_AGENT = Path.resolve("test/loader/fixtures/fake-agent.mjs")
const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "dd-loader-bench-"))
const bundle = Path.join(work, "dd-agent.mjs")
// The loader alone (src/programs/loaderMain.ts): what a deployment runs as the trace loader.
const leanBundle = Path.join(work, "dd-agent-loader.mjs")

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

// The floor: plain Node holding the same two listeners, no Effect.
const BASELINE = `const net = require("node:net");
net.createServer({ pauseOnConnect: true }).listen({ host: "127.0.0.1", port: Number(process.env.DD_APM_RECEIVER_PORT) });
net.createServer({ pauseOnConnect: true }).listen({ path: process.env.DD_APM_RECEIVER_SOCKET }, () => console.error("Polling..."));`

async function idleMemory(argv: ReadonlyArray<string>, subcommand: ReadonlyArray<string> = ["loader"]) {
  const samples: Array<ReturnType<typeof status>> = []
  for (let i = 0; i < 3; i++) {
    const port = await freePort()
    const tail = argv[0] === "-e" ? [] : [...subcommand, "--handle-tcp-probe", "--", "node", FAKE_AGENT]
    const p = start([...argv, ...tail], loaderEnv(port, Path.join(work, `idle${i}.sock`)))
    await p.waitFor(/Polling\.\.\./, "stderr")
    await new Promise((r) => setTimeout(r, 2000)) // let start-up garbage settle before sampling
    samples.push(status(p.child.pid!))
    await p.stop()
  }
  const avg = (k: keyof ReturnType<typeof status>) => samples.reduce((a, s) => a + s[k], 0) / samples.length
  return { rssMB: avg("rssMB"), anonMB: avg("anonMB"), fileMB: avg("fileMB"), threads: avg("threads") }
}

async function firstRequestViaLoader() {
  const port = await freePort()
  const p = start([...FLAGS, leanBundle, "--handle-tcp-probe", "--", "node", FAKE_AGENT], loaderEnv(port, ""))
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
  const p = start([...FLAGS, leanBundle, "--handle-tcp-probe", "--", "node", FAKE_AGENT], loaderEnv(port, ""))
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
  const t = now()
  const built = await build({
    entryPoints: [Path.resolve("src/programs/main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    outfile: bundle,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    metafile: true,
    logLevel: "error"
  })
  await build({
    entryPoints: [Path.resolve("src/programs/loaderMain.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    outfile: leanBundle,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "error"
  })
  const bundleKB = Fs.statSync(bundle).size / 1024
  const leanKB = Fs.statSync(leanBundle).size / 1024
  const buildMs = now() - t
  void built

  const baseline = await idleMemory(["-e", BASELINE])
  const bundled = await idleMemory([...FLAGS, bundle])
  const lean = await idleMemory([...FLAGS, leanBundle], [])
  const bundledNoFlags = await idleMemory([bundle])
  const unbundled = await idleMemory([Path.resolve("bin/dd-agent.js")])

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
    bundle: { sizeKB: Math.round(bundleKB), loaderOnlySizeKB: Math.round(leanKB), buildMs: Math.round(buildMs), flags: FLAGS },
    idle: { plainNodeBaseline: baseline, loaderOnlyBundle: lean, bundled, bundledNoFlags, unbundled },
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
    "idle RSS, plain Node baseline, no Effect (MB)": f2(baseline.rssMB),
    "idle private (RssAnon), baseline (MB)": f2(baseline.anonMB),
    "idle RSS, loader-only bundle + flags (MB)": f2(lean.rssMB),
    "idle private (RssAnon), loader-only bundle (MB)": f2(lean.anonMB),
    "idle RSS, bundled, no flags (MB)": f2(bundledNoFlags.rssMB),
    "idle RSS, bundled + flags (MB)": f2(bundled.rssMB),
    "idle private (RssAnon), bundled (MB)": f2(bundled.anonMB),
    "idle threads, bundled": f2(bundled.threads),
    "idle RSS, unbundled tsx (MB)": f2(unbundled.rssMB),
    "idle private (RssAnon), unbundled (MB)": f2(unbundled.anonMB),
    "first request, agent direct (ms, median)": f2(median(direct)),
    "first request, via loader (ms, median)": f2(median(viaLoader)),
    "loader overhead (ms)": f2(median(viaLoader) - median(direct)),
    "loader CPU per absorbed probe (ms)": f2(probes.cpuMsPerProbe),
    "bundle size (kB)": f2(bundleKB),
    "loader-only bundle size (kB)": f2(leanKB)
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
