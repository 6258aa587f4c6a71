/**
 * Wire bytes per log of the stateful stream, with and without pattern extraction, against plain zstd-1 of the
 * raw lines per 1,000-line batch, on each shared loghub sample. Uses the sender's real translator, batcher and
 * codec (batches of 1,000, zstd-1; every define and delete counted) and checks that the intake's decoder
 * rebuilds every line. Also measures the sender's CPU per line with and without patterns (alternating rounds,
 * median of per-round ratios) and the pattern + dictionary state over a stream of unique random lines. Where the
 * bytes go: the defines and deletes alone, and a one-window oracle (the whole sample compressed with zstd-1 in
 * one window: the most any cross-batch state could save at zstd-1's coding of the lines).
 * A generated JSON access log (bench/support/jsonLogs.ts) is measured too, outside the median: the shared
 * samples hold no JSON. Where the bytes go per dataset: the patterns stream's compressed batches with one
 * category of bytes removed after another (defines and deletes, timestamps, tags and status, structured
 * values, raw text), each category credited with the bytes its removal saved; what is left is the log framing
 * and pattern ids. Also plain zstd-1 of the raw stream against higher levels (the sender's level is ours to
 * choose: reported apart from the pattern gain).
 * Run: `npx tsx bench/wire-bytes.ts [--rounds N]`.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Zlib from "node:zlib"
import { decodeBatchData } from "../src/services/logs/BatchCodec.js"
import { Batcher } from "../src/services/logs/Batcher.js"
import type { Datum } from "../src/services/logs/Datum.js"
import { encodeDatumSequence } from "../src/services/logs/DatumWire.js"
import { Dictionary } from "../src/services/logs/Dictionary.js"
import { PayloadError } from "../src/services/logs/errors.js"
import type { LogMessage } from "../src/services/logs/LogMessage.js"
import { PatternContent } from "../src/services/logs/patterns/PatternContent.js"
import { releaseRefs } from "../src/services/logs/StateRef.js"
import { StreamDecoder } from "../src/services/logs/StreamDecoder.js"
import { rawContent, Translator } from "../src/services/logs/Translator.js"
import { jsonAccessLog } from "./support/jsonLogs.js"
import { loghubDir, machine, printTable, writeResults } from "./support/loghub.js"

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const rounds = Number(arg("rounds", "5"))
// The tags and status wire-bytes.mjs gives `logs send`.
const tags = ["env:prod", "service:web", "source:apache"]

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const zstd1 = (b: Uint8Array) => Zlib.zstdCompressSync(b, { params: { [Zlib.constants.ZSTD_c_compressionLevel]: 1 } }).length
const zstd1Window = (b: Uint8Array) =>
  Zlib.zstdCompressSync(b, { params: { [Zlib.constants.ZSTD_c_compressionLevel]: 1, [Zlib.constants.ZSTD_c_windowLog]: 22 } }).length

/** One stream through the sender's pipeline; each batch is acknowledged before the next is sealed. */
const stream = (lines: ReadonlyArray<string>, patterns: boolean, compressionLevel = 1) => {
  const dictionary = new Dictionary()
  const content = patterns ? new PatternContent(dictionary) : rawContent
  const batcher = new Batcher({ maxEntries: 1000, maxContentBytes: 5_000_000, encoding: "zstd", compressionLevel }, new Translator(dictionary, content))
  const payloads = []
  for (let i = 0; i < lines.length; i++) {
    const msg: LogMessage = { content: lines[i]!, timestamp: 1_763_856_000_000, tags, status: "info" }
    batcher.add(msg)
    for (const p of batcher.takeSealed()) {
      payloads.push(p)
      releaseRefs(p.stateRefs)
    }
  }
  batcher.flush()
  for (const p of batcher.takeSealed()) payloads.push(p)
  return { payloads, content }
}

const rebuilds = (lines: ReadonlyArray<string>, payloads: ReturnType<typeof stream>["payloads"]) => {
  const d = new StreamDecoder()
  let i = 0
  for (const [k, p] of payloads.entries()) {
    const datums = decodeBatchData(p.data, "zstd")
    if (datums instanceof PayloadError) throw datums
    const logs = d.apply(k + 1, datums)
    if ("reason" in logs) throw new Error(logs.message)
    for (const l of logs) if (l.message !== lines[i++]) return false
  }
  return i === lines.length
}

const corpora = Fs.readdirSync(loghubDir).filter((f) => f.endsWith(".log")).sort().map((f) => ({
  name: f,
  shared: true,
  lines: Fs.readFileSync(Path.join(loghubDir, f), "utf8").split("\n").slice(0, -1).map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l))
}))
corpora.push({ name: "json-access (generated)", shared: false, lines: [...jsonAccessLog(2_000)] })

type Batch = ReadonlyArray<Datum>
const logsOf = (b: Batch) => b.filter((d): d is Datum & { _tag: "Log" } => d._tag === "Log")
/** Categories of bytes, removed in this order; each is credited with what its removal saves, compressed. */
const categories: ReadonlyArray<readonly [string, (b: Batch) => Batch]> = [
  ["defines+deletes", (b) => logsOf(b)],
  ["timestamps", (b) => logsOf(b).map((l) => ({ ...l, timestamp: 0 }))],
  ["tags+status", (b) => logsOf(b).map((l) => ({ ...l, tags: undefined, status: undefined }))],
  ["values", (b) => logsOf(b).map((l) => (l.content._tag === "Structured" ? { ...l, content: { ...l.content, values: [] } } : l))],
  ["raw text", (b) => logsOf(b).map((l) => (l.content._tag === "Raw" ? { ...l, content: { _tag: "Raw" as const, raw: "" } } : l))]
]
const breakdown = (payloads: ReturnType<typeof stream>["payloads"], lines: number) => {
  const out: Record<string, number> = {}
  let batches: Array<Batch> = payloads.map((p) => {
    const d = decodeBatchData(p.data, "zstd")
    if (d instanceof PayloadError) throw d
    return d as Batch
  })
  const size = (bs: ReadonlyArray<Batch>) => bs.reduce((n, b) => n + zstd1(encodeDatumSequence(b)), 0)
  let before = size(batches)
  out.total = before / lines
  for (const [name, strip] of categories) {
    batches = batches.map(strip)
    const after = size(batches)
    out[name] = (before - after) / lines
    before = after
  }
  out["framing+ids"] = before / lines
  return out
}
const where: Array<Record<string, string | number>> = []

const rows = corpora.map(({ name, shared, lines }) => {
  let zstd = 0
  for (let j = 0; j < lines.length; j += 1000) zstd += zstd1(Buffer.from(lines.slice(j, j + 1000).join("\n") + "\n"))
  const raw = stream(lines, false)
  const pat = stream(lines, true)
  const bytes = (ps: typeof raw.payloads) => ps.reduce((n, p) => n + p.data.length, 0)
  const structured = pat.payloads.reduce((n, p) => n + p.stateChanges.filter((d) => d._tag === "PatternDefine").length, 0)
  // Where the bytes go: the defines and deletes alone, compressed per batch as they would be.
  const defineBytes = pat.payloads.reduce((n, p) => n + (p.stateChanges.length === 0 ? 0 : zstd1(encodeDatumSequence(p.stateChanges))), 0)
  // The structured logs alone, as if every pattern and dictionary entry were free.
  const logsAlone = pat.payloads.reduce((n, p) => {
    const datums = decodeBatchData(p.data, "zstd")
    if (datums instanceof PayloadError) throw datums
    return n + zstd1(encodeDatumSequence(datums.filter((d) => d._tag === "Log") as ReadonlyArray<Datum>))
  }, 0)
  // The best any cross-batch state could do with zstd-1 coding: all batches in one compression window.
  const oracle = zstd1Window(Buffer.from(lines.join("\n") + "\n")) / zstd
  const stats = (pat.content as PatternContent).table.stats
  for (const [mode, ps] of [["raw", raw.payloads], ["patterns", pat.payloads]] as const) {
    const b = breakdown(ps, lines.length)
    where.push({ corpus: name, stream: mode, ...Object.fromEntries(Object.entries(b).map(([k, v]) => [k, +v.toFixed(2)])) })
  }
  // The level is the sender's choice: the raw stream at higher zstd levels, against zstd-1 of the lines.
  const levels = Object.fromEntries([3, 6, 9].map((level) => [`raw zstd-${level}/zstd-1`, +(bytes(stream(lines, false, level).payloads) / zstd).toFixed(3)]))
  return {
    corpus: name,
    shared,
    lines: lines.length,
    "raw B/line": +(lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) / lines.length).toFixed(1),
    "zstd-1 B/log": +(zstd / lines.length).toFixed(2),
    "stream raw B/log": +(bytes(raw.payloads) / lines.length).toFixed(2),
    "stream patterns B/log": +(bytes(pat.payloads) / lines.length).toFixed(2),
    "patterns/zstd-1": +(bytes(pat.payloads) / zstd).toFixed(3),
    "raw/zstd-1": +(bytes(raw.payloads) / zstd).toFixed(3),
    "defines+deletes B/log": +(defineBytes / lines.length).toFixed(2),
    "logs alone/zstd-1": +(logsAlone / zstd).toFixed(3),
    "one-window oracle": +oracle.toFixed(3),
    "pattern defines": structured,
    "live patterns": stats.patterns,
    ...levels,
    lossless: rebuilds(lines, pat.payloads) && rebuilds(lines, raw.payloads) ? "yes" : "NO"
  }
})
printTable(rows.map(({ shared: _, ...r }) => r))
const sharedRows = rows.filter((r) => r.shared)
const medianRatio = median(sharedRows.map((r) => r["patterns/zstd-1"]))
console.log(`\nmedian patterns/zstd-1 over the shared samples: ${medianRatio.toFixed(3)}   max: ${Math.max(...sharedRows.map((r) => r["patterns/zstd-1"])).toFixed(3)}   (raw stream: ${median(sharedRows.map((r) => r["raw/zstd-1"])).toFixed(3)})`)
console.log("\nwhere the bytes go, B/log of the zstd-1 batches (removed in column order, each credited with what its removal saved):")
printTable(where)

// Sender CPU per line: translate + batch + encode + compress, alternating without/with patterns.
const all = corpora.filter((c) => c.shared).flatMap((c) => c.lines)
const cpuOf = (patterns: boolean) => {
  const t0 = process.cpuUsage()
  for (let r = 0; r < 5; r++) stream(all, patterns)
  const c = process.cpuUsage(t0)
  return (c.user + c.system) / (5 * all.length)
}
if (rounds > 0) cpuOf(false)
if (rounds > 0) cpuOf(true)
const cpu: Array<{ raw: number; patterns: number }> = []
for (let r = 0; r < rounds; r++) {
  const raw = cpuOf(false)
  const patterns = cpuOf(true)
  cpu.push({ raw, patterns })
}
const cpuRatio = median(cpu.map((c) => c.patterns / c.raw))
console.log(`sender CPU µs/line: without ${median(cpu.map((c) => c.raw)).toFixed(2)}, with ${median(cpu.map((c) => c.patterns)).toFixed(2)}; median per-round ratio ${cpuRatio.toFixed(3)} (${rounds} rounds)`)

// State bound: a stream of unique random lines. Each random shape comes back twelve times with new values and a
// user name that recurs across batches, so patterns, clusters and dictionary all fill up to their bounds.
let seed = 12345
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296
const word = () => {
  let w = ""
  const n = 1 + Math.floor(rnd() * 12)
  for (let k = 0; k < n; k++) w += String.fromCharCode(33 + Math.floor(rnd() * 94))
  return w
}
const letters = () => {
  let w = ""
  const n = 1 + Math.floor(rnd() * 12)
  for (let k = 0; k < n; k++) w += String.fromCharCode(97 + Math.floor(rnd() * 26))
  return w
}
let shape: Array<string> = []
const randomLine = (i: number) => {
  if (i % 12 === 0) shape = Array.from({ length: 3 + Math.floor(rnd() * 20) }, word)
  return `${shape.join(" ")} value=${Math.floor(rnd() * 1e9)} user=u${Math.floor(rnd() * 100_000)}x ${letters()}`
}
const dictionary = new Dictionary()
const content = new PatternContent(dictionary)
const batcher = new Batcher({ maxEntries: 1000, maxContentBytes: 5_000_000, encoding: "zstd", compressionLevel: 1 }, new Translator(dictionary, content))
const uniqueLines = 400_000
let peakState = 0
for (let i = 0; i < uniqueLines; i++) {
  batcher.add({ content: randomLine(i), timestamp: 0, tags, status: "info" })
  for (const p of batcher.takeSealed()) releaseRefs(p.stateRefs)
  if (i % 1000 === 999) {
    peakState = Math.max(peakState, dictionary.stats.bytes + content.table.stats.bytes + content.clusterer.stats.bytes)
  }
}
const stateBytes = peakState + content.settings.candidates.maxBytes
console.log(`state over ${uniqueLines.toLocaleString("en-US")} unique random lines: dictionary ${dictionary.stats.bytes} B (${dictionary.stats.entries} entries, ${dictionary.stats.evictions} evicted), patterns ${content.table.stats.bytes} B (${content.table.stats.patterns}, ${content.table.stats.evictions} evicted), clusters ${content.clusterer.stats.bytes} B (${content.clusterer.stats.clusters}); peak accounted state incl. admission candidates ${(stateBytes / 2 ** 20).toFixed(2)} MiB`)

writeResults("wire-bytes", { machine: machine(), corpora: rows, where, medianRatio, cpu, cpuRatio, uniqueLines, stateBytes })
