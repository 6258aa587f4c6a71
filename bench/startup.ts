/**
 * Start-up benchmark (not a test): wall time of the CLI's short commands, run as `node bin/dd-agent.js` and as the
 * README runs them (`npx dd-agent`), against two floors: `node -e 0`, and `npx -c true` in an empty temporary
 * project (`{"name":"x","version":"1.0.0"}` only), which is what `npm exec` costs before it runs anything; plus
 * `npx -c true` in the checkout, which adds npm reading the checkout's node_modules. All alternate within each
 * round, after one warm-up round (which also fills V8's compile cache); each command's output is checked. Reports
 * medians, the median of per-round ratios to `node -e 0` and, for the other `npx` rows, the median of per-round
 * differences to `npx -c true` in the empty project: what the checkout and the CLI add to npm's own cost.
 * Usage: npm run bench:startup [-- --runs N]   (after `npm run build`). Writes bench/results/startup.json.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const runsAt = process.argv.indexOf("--runs")
const RUNS = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 7
const node = process.execPath
const emptyProject = Fs.mkdtempSync(Path.join(Os.tmpdir(), "startup-empty-"))
Fs.writeFileSync(Path.join(emptyProject, "package.json"), JSON.stringify({ name: "x", version: "1.0.0" }))

const version = /^\d+\.\d+\.\d+\n$/
const statusHelp = /^\$ status /m
interface Contender {
  readonly argv: ReadonlyArray<string>
  readonly cwd?: string
  /** What stdout must be: `npx` reads options it knows anywhere on its command line (npx --x dd-agent --version prints npm's version). */
  readonly prints: RegExp
}
const contenders: Record<string, Contender> = {
  "node -e 0": { argv: [node, "-e", "0"], prints: /^$/ },
  "node bin/dd-agent.js --version": { argv: [node, "bin/dd-agent.js", "--version"], prints: version },
  "node bin/dd-agent.js status --help": { argv: [node, "bin/dd-agent.js", "status", "--help"], prints: statusHelp },
  "npx -c true (empty project)": { argv: ["npx", "-c", "true"], cwd: emptyProject, prints: /^$/ },
  // npm exec reads the whole tree of the project it runs in (Arborist.loadActual): the checkout's node_modules.
  "npx -c true (in the checkout)": { argv: ["npx", "-c", "true"], prints: /^$/ },
  "npx dd-agent --version": { argv: ["npx", "dd-agent", "--version"], prints: version },
  "npx dd-agent status --help": { argv: ["npx", "dd-agent", "status", "--help"], prints: statusHelp }
}
const npxFloor = "npx -c true (empty project)"

const wall: Record<string, Array<number>> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]))
try {
  for (let round = 0; round <= RUNS; round++) {
    for (const [name, { argv: [cmd, ...args], cwd, prints }] of Object.entries(contenders)) {
      const t0 = process.hrtime.bigint()
      const r = ChildProcess.spawnSync(cmd!, args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" })
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr.slice(-400)}`)
      if (!prints.test(r.stdout)) throw new Error(`${name} printed ${JSON.stringify(r.stdout.slice(0, 200))}, not ${prints}`)
      if (round > 0) wall[name]!.push(seconds)
    }
  }
} finally {
  Fs.rmSync(emptyProject, { recursive: true, force: true })
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const perRound = (name: string, f: (x: number, i: number) => number) => median(wall[name]!.map(f))
const rows = Object.keys(contenders).map((name) => ({
  name,
  medianS: Number(median(wall[name]!).toFixed(3)),
  xNode: Number(perRound(name, (x, i) => x / wall["node -e 0"]![i]!).toFixed(2)),
  aboveNpxS: name.startsWith("npx") && name !== npxFloor ? Number(perRound(name, (x, i) => x - wall[npxFloor]![i]!).toFixed(3)) : undefined
}))
const load = Os.loadavg()[0]!.toFixed(1)
console.log(`${RUNS} rounds, alternating; ${Os.cpus().length} CPUs, load average ${load}`)
console.log(`${"command".padEnd(38)}${"median s".padStart(10)}${"x node -e 0".padStart(13)}${"s above npx -c true".padStart(21)}`)
for (const r of rows) {
  console.log(`${r.name.padEnd(38)}${String(r.medianS).padStart(10)}${String(r.xNode).padStart(13)}${String(r.aboveNpxS ?? "").padStart(21)}`)
}
Fs.mkdirSync("bench/results", { recursive: true })
Fs.writeFileSync("bench/results/startup.json", JSON.stringify({ runs: RUNS, node: process.version, loadAverage: Number(load), rows }, null, 2) + "\n")
