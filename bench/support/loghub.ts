/**
 * Realistic log lines for benchmarks: the loghub samples in ../shared/data/loghub when present, otherwise
 * generated lines of similar shape (so a benchmark still runs on a bare checkout).
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

export const loghubDir = Path.resolve(import.meta.dirname, "../../../shared/data/loghub")

export const loadLines = (): { readonly source: string; readonly lines: ReadonlyArray<string> } => {
  if (Fs.existsSync(loghubDir)) {
    const lines: Array<string> = []
    for (const f of Fs.readdirSync(loghubDir).filter((n) => n.endsWith(".log")).sort()) {
      for (const l of Fs.readFileSync(Path.join(loghubDir, f), "utf8").split("\n")) if (l !== "") lines.push(l)
    }
    return { source: `loghub (${lines.length} lines)`, lines }
  }
  const lines = Array.from({ length: 16_000 }, (_, i) =>
    `2026-11-23 01:${String(i % 60).padStart(2, "0")}:00,${i % 1000} INFO [worker-${i % 17}] request ${i * 7919 % 100_000} served in ${i % 250} ms from 10.0.${i % 255}.${i % 7}`)
  return { source: `generated (${lines.length} lines)`, lines }
}

/** Prints a table of rows with aligned columns. */
export const printTable = (rows: ReadonlyArray<Record<string, string | number>>) => {
  const cols = Object.keys(rows[0] ?? {})
  const cell = (v: string | number) => (typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: 2 }) : v)
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(cell(r[c]!)).length)))
  const line = (vals: ReadonlyArray<string>) => vals.map((v, i) => v.padStart(widths[i]!)).join("  ")
  console.log(line(cols))
  console.log(widths.map((w) => "-".repeat(w)).join("  "))
  for (const r of rows) console.log(line(cols.map((c) => String(cell(r[c]!)))))
}

export const writeResults = (name: string, results: unknown) => {
  const dir = Path.resolve(import.meta.dirname, "../results")
  Fs.mkdirSync(dir, { recursive: true })
  const file = Path.join(dir, `${name}.json`)
  Fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n")
  console.log(`\nresults written to ${Path.relative(process.cwd(), file)}`)
}

/** The machine a result was measured on, recorded beside it. */
export const machine = () => ({
  node: process.version,
  cpus: Os.cpus().length,
  cpuModel: Os.cpus()[0]?.model ?? "unknown",
  memoryGiB: Math.round(Os.totalmem() / 2 ** 30)
})
