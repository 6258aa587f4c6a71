/**
 * Start-up benchmark (not a test): wall time of the CLI's short commands against the floor (`node -e 0`) and
 * against what `npx` itself costs (`npx esbuild --version`, a native binary that starts in milliseconds),
 * alternating within each round after one warm-up round (which also fills V8's compile cache).
 * Usage: npm run bench:startup [-- --runs N]   (after `npm run build`). Writes bench/results/startup.json.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"

const runsAt = process.argv.indexOf("--runs")
const RUNS = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 7
const node = process.execPath
const contenders: Record<string, ReadonlyArray<string>> = {
  "node -e 0": [node, "-e", "0"],
  "node bin/dd-agent.js --version": [node, "bin/dd-agent.js", "--version"],
  "node bin/dd-agent.js status --help": [node, "bin/dd-agent.js", "status", "--help"],
  "npx esbuild --version (npx alone)": ["npx", "esbuild", "--version"],
  "npx dd-agent --version": ["npx", "dd-agent", "--version"],
  "npx dd-agent status --help": ["npx", "dd-agent", "status", "--help"]
}
const wall: Record<string, Array<number>> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]))
for (let round = 0; round <= RUNS; round++) {
  for (const [name, [cmd, ...args]] of Object.entries(contenders)) {
    const t0 = process.hrtime.bigint()
    const r = ChildProcess.spawnSync(cmd!, args, { stdio: ["ignore", "ignore", "pipe"] })
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${String(r.stderr).slice(-400)}`)
    if (round > 0) wall[name]!.push(seconds)
  }
}
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const floor = wall["node -e 0"]!
const rows = Object.entries(wall).map(([name, xs]) => ({
  name,
  medianS: Number(median(xs).toFixed(3)),
  xNode: Number(median(xs.map((x, i) => x / floor[i]!)).toFixed(2))
}))
console.log(`${RUNS} rounds, alternating\n${"command".padEnd(40)}${"median s".padStart(10)}${"x node -e 0".padStart(13)}`)
for (const r of rows) console.log(`${r.name.padEnd(40)}${String(r.medianS).padStart(10)}${String(r.xNode).padStart(13)}`)
Fs.mkdirSync("bench/results", { recursive: true })
Fs.writeFileSync("bench/results/startup.json", JSON.stringify({ runs: RUNS, node: process.version, rows }, null, 2) + "\n")
