/**
 * Intake decode throughput: decompress + decode + reconstruct (the reference intake's per-batch work, without
 * the network and output) over a generated stream of realistic lines. Run: `npx tsx bench/intake.ts [--logs N]`.
 * Each round alternates the full decode with plain decompression of the same batches, so the "× decompress"
 * column is a ratio measured in one run (the machine is shared: absolute rates drift between runs).
 */
import { decompress } from "../src/services/logs/ContentEncoding.js"
import { type Datum, DeltaEncoder, DynamicValue, encodeBatchData } from "../src/services/logs/index.js"
import type { ContentEncoding } from "../src/services/logs/ContentEncoding.js"
import { intakeDefaults } from "../src/services/logs/IntakeOptions.js"
import { FaultBudget, IntakeStream } from "../src/services/logs/IntakeStream.js"
import { loadLines, machine, printTable, writeResults } from "./support/loghub.js"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const totalLogs = arg("logs", 1_000_000)
const batchSize = 1000

const { source, lines } = loadLines()
const tagSets = ["env:prod,service:web,source:apache", "env:prod,service:hdfs,source:java", "env:staging,service:ssh"]
const statuses = ["info", "warn", "error"]

/** Builds the stream the way a sender does: a snapshot of definitions, then delta-encoded data batches. */
const buildStream = (encoding: ContentEncoding) => {
  const batches: Array<{ id: number; data: Uint8Array; raw: number }> = []
  const defines: Array<Datum> = [
    ...tagSets.map((value, i): Datum => ({ _tag: "DictEntryDefine", id: i + 1, value })),
    ...statuses.map((value, i): Datum => ({ _tag: "DictEntryDefine", id: 100 + i, value }))
  ]
  const snap = encodeBatchData(defines, encoding)
  batches.push({ id: 0, data: snap.data, raw: snap.uncompressedBytes })
  const enc = new DeltaEncoder()
  let ts = 1_763_856_000_000
  for (let b = 0, n = 0; n < totalLogs; b++) {
    enc.reset()
    const datums: Array<Datum> = []
    for (let i = 0; i < batchSize && n < totalLogs; i++, n++) {
      ts += n % 3
      datums.push(enc.encode({
        timestamp: ts,
        content: { _tag: "Raw", raw: lines[n % lines.length]! },
        tags: DynamicValue.dict(1 + ((n >> 6) % tagSets.length)),
        status: DynamicValue.dict(100 + (n % 17 === 0 ? 2 : 0))
      }))
    }
    const e = encodeBatchData(datums, encoding)
    batches.push({ id: b + 1, data: e.data, raw: e.uncompressedBytes })
  }
  return batches
}

const rows: Array<Record<string, string | number>> = []
const results: Array<Record<string, unknown>> = []
for (const encoding of ["zstd", "gzip", "identity"] as const) {
  const batches = buildStream(encoding)
  const wire = batches.reduce((s, b) => s + b.data.length, 0)
  const rawBytes = batches.reduce((s, b) => s + b.raw, 0)
  let best = Infinity
  let bestDecompress = Infinity
  for (let round = 0; round < 5; round++) {
    const d0 = process.hrtime.bigint()
    for (const b of batches) decompress(b.data, encoding)
    bestDecompress = Math.min(bestDecompress, Number(process.hrtime.bigint() - d0) / 1e9)
    const stream = new IntakeStream(1, encoding, intakeDefaults, new FaultBudget({}))
    const t0 = process.hrtime.bigint()
    let logs = 0
    for (const b of batches) {
      const d = stream.onBatch(b.id, b.data)
      if (d._tag !== "Accept") throw new Error(d.error.message)
      logs += d.batch.logs.length
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9
    if (logs !== totalLogs) throw new Error(`decoded ${logs} logs, expected ${totalLogs}`)
    best = Math.min(best, secs)
  }
  const row = {
    encoding,
    logs: totalLogs,
    "logs/s": Math.round(totalLogs / best),
    "wire MB/s": wire / 1e6 / best,
    "raw MB/s": rawBytes / 1e6 / best,
    "wire bytes/log": wire / totalLogs,
    "ratio": rawBytes / wire,
    "× decompress": encoding === "identity" ? "-" : best / bestDecompress
  }
  rows.push(row)
  results.push({ ...row, seconds: best, decompressSeconds: bestDecompress })
}

console.log(`intake decode (decompress + decode + reconstruct), ${source}, best of 5, one core; × decompress = decode time / decompression-only time, same run\n`)
printTable(rows)
writeResults("intake", { benchmark: "intake-decode", target: ">= 500,000 logs/s on one core", machine: machine(), source, results })
