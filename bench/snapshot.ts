/**
 * Snapshot encoder throughput against JSON.stringify of the already-shaped output object (the floor
 * any encoder pays), in the same run. `npx tsx bench/snapshot.ts [--seconds N]`.
 * Writes bench/results/snapshot.json.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Either } from "effect"
import type { CaptureEvent, Value } from "../src/services/debugger/CaptureEvent.js"
import { encodeSnapshot } from "../src/services/debugger/Envelope.js"
import { defaultEncoderOptions } from "../src/services/debugger/Limits.js"
import type { ProcessIdentity } from "../src/services/debugger/ProcessInfo.js"

const secondsArg = process.argv.indexOf("--seconds")
const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2

const int = (n: number): Value => ({ kind: "scalar", type: "int", value: n })
const str = (s: string): Value => ({ kind: "string", value: s })
const words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split(" ")
const text = (i: number, len: number) => {
  let s = ""
  for (let k = 0; s.length < len; k++) s += words[(i + k) % words.length] + " "
  return s.slice(0, len)
}

/** A struct with `n` fields mixing scalars, strings, a small slice and a nested struct down to `depth`. */
const record = (name: string, n: number, depth: number, seed: number): Value => ({
  kind: "struct",
  type: `main.${name}`,
  fields: Array.from({ length: n }, (_, i): readonly [string, Value] => {
    const f = `field${i}`
    switch (i % 5) {
      case 0: return [f, int(seed * 31 + i)]
      case 1: return [f, str(text(seed + i, 24))]
      case 2: return [f, { kind: "scalar", type: "float64", value: (seed + i) / 7 }]
      case 3: return [f, depth > 0 ? record(`${name}Child`, 10, depth - 1, seed + i) : { kind: "scalar", type: "bool", value: i % 2 === 0 }]
      default: return [f, { kind: "array", type: "[]int", elements: Array.from({ length: 8 }, (_, k) => int(k * i)) }]
    }
  })
})

const identity: ProcessIdentity = { service: "bench", hostname: "host", processTags: ["entrypoint.name:bench"], serviceSource: "tracer" }

const baseEvent = (args: Record<string, Value>, heap: Record<string, Value>, capture: CaptureEvent["probe"]["capture"]): CaptureEvent => ({
  probe: { id: "bench-probe", version: 1, location: { method: "main.handle", file: "main.go" }, capture, template: "handled {req.field1}" },
  pid: 1, language: "go", timestamp: 1767225600000, duration: 120_000, thread: { id: 7 },
  trace: { traceId: "a3c1f09e00b2d3e4", spanId: "42" },
  stack: Array.from({ length: 8 }, (_, i) => ({ function: `main.f${i}`, file: "example.com/app/main.go", line: 10 + i })),
  captures: { entry: { arguments: args }, return: { returns: [int(1), { kind: "null", type: "error" }] } },
  heap
})

// Typical: depth 3, 20 fields, collections and strings; one pointer-shared record.
const typical = baseEvent(
  {
    req: { kind: "pointer", type: "*main.Request", address: "0xc000100000" },
    user: record("User", 20, 2, 2),
    tags: { kind: "map", type: "map[string]string", entries: Array.from({ length: 10 }, (_, i) => [str(`k${i}`), str(text(i, 16))] as const) },
    items: { kind: "array", type: "[]main.Item", elements: Array.from({ length: 5 }, (_, i) => record("Item", 6, 0, i)) },
    note: str(text(3, 200))
  },
  { "0xc000100000": record("Request", 20, 2, 1) },
  undefined
)

// Large: long strings and big collections well past the 1 MiB budget.
const large = baseEvent(
  Object.fromEntries(Array.from({ length: 10 }, (_, v) => [
    `batch${v}`,
    { kind: "array", type: "[]main.Row", elements: Array.from({ length: 100 }, (_, i) => ({
      kind: "struct", type: "main.Row",
      fields: [["id", int(i)], ["body", str(text(i + v, 1000))], ["meta", record("Meta", 8, 1, i)]] as const
    } satisfies Value)) } satisfies Value
  ])),
  {},
  { maxLength: 1000, maxCollectionSize: 100, maxReferenceDepth: 3 }
)

const id = "00000000-0000-4000-8000-000000000001"
const encode = (ev: CaptureEvent) => {
  const r = encodeSnapshot(ev, identity, id, defaultEncoderOptions)
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

const measure = (f: () => unknown): number => {
  const warmUntil = performance.now() + 300
  while (performance.now() < warmUntil) f()
  let n = 0
  const start = performance.now()
  const end = start + seconds * 1000
  while (performance.now() < end) {
    f()
    n++
  }
  return n / ((performance.now() - start) / 1000)
}

interface Row {
  readonly capture: string
  readonly bytes: number
  readonly pruned: number
  readonly encoderPerSec: number
  readonly encoderMBps: number
  readonly stringifyPerSec: number
  readonly stringifyMBps: number
  readonly ratio: number
}

const rows: Array<Row> = []
for (const [name, ev] of [["typical", typical], ["large (budget)", large]] as const) {
  const out = encode(ev)
  const shaped = JSON.parse(out.json) as unknown
  const enc = measure(() => encode(ev))
  const str = measure(() => JSON.stringify(shaped))
  rows.push({
    capture: name,
    bytes: out.bytes,
    pruned: out.pruned,
    encoderPerSec: Math.round(enc),
    encoderMBps: +((enc * out.bytes) / 1e6).toFixed(1),
    stringifyPerSec: Math.round(str),
    stringifyMBps: +((str * Buffer.byteLength(JSON.stringify(shaped))) / 1e6).toFixed(1),
    ratio: +(enc / str).toFixed(2)
  })
}

console.table(rows)
const result = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", node: process.version },
  secondsPerMeasurement: seconds,
  rows
}
const outDir = path.resolve("bench/results")
fs.mkdirSync(outDir, { recursive: true })
fs.writeFileSync(path.join(outDir, "snapshot.json"), JSON.stringify(result, null, 2) + "\n")
