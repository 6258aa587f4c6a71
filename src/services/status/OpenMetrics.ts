/**
 * Renders Effect metric snapshots as OpenMetrics 1.0 text (what a Prometheus-style scraper reads from /metrics).
 * Families are sorted by name and never interleaved; each labelset's samples stay together; histogram buckets
 * are in increasing `le` order with canonical numbers; a family whose name ends in a base unit gets a UNIT line.
 */
import { MetricState, Option } from "effect"
import type { MetricPair } from "effect"

const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([^a-zA-Z_:])/, "_$1")
const sanitizeLabel = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^([^a-zA-Z_])/, "_$1")
const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")
const num = (n: number | bigint) =>
  typeof n === "bigint" ? n.toString() : Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN"

/** The canonical rendering of an `le` or `quantile` value: Go's `%g`, with `.0` when there is no point or exponent. */
export const canonicalNumber = (n: number): string => {
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN"
  if (n === 0) return "0.0"
  const [mantissa, e] = n.toExponential().split("e") as [string, string]
  const exp = Number(e)
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`
  const fixed = String(n)
  return fixed.includes(".") ? fixed : `${fixed}.0`
}

/** Units whose `_<unit>` suffix on a family name is announced with a UNIT line. */
const baseUnits = ["seconds", "bytes", "ratio"] as const

const labels = (pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${sanitizeLabel(k)}="${escape(v)}"`).join(",")}}`

interface Family {
  readonly type: string
  readonly help: string | undefined
  /** One entry per labelset: the key orders them, the lines are that labelset's samples in their required order. */
  readonly points: Array<{ readonly key: string; readonly lines: ReadonlyArray<string> }>
}

export const renderOpenMetrics = (snapshot: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  const add = (name: string, type: string, help: string | undefined, key: string, lines: ReadonlyArray<string>) => {
    let f = families.get(name)
    if (f === undefined) {
      f = { type, help, points: [] }
      families.set(name, f)
    }
    f.points.push({ key, lines })
  }
  for (const pair of snapshot) {
    const key = pair.metricKey
    const tags = key.tags.map((t) => [t.key, t.value] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const lkey = labels(tags)
    const help = Option.getOrUndefined(key.description)
    const state = pair.metricState
    if (MetricState.isCounterState(state)) {
      const base = sanitize(key.name).replace(/_total$/, "")
      add(base, "counter", help, lkey, [`${base}_total${lkey} ${num(state.count)}`])
    } else if (MetricState.isGaugeState(state)) {
      const base = sanitize(key.name)
      add(base, "gauge", help, lkey, [`${base}${lkey} ${num(state.value)}`])
    } else if (MetricState.isHistogramState(state)) {
      const base = sanitize(key.name)
      const buckets = [...state.buckets].filter(([le]) => le !== Infinity).sort(([a], [b]) => a - b)
      const lines = buckets.map(([le, count]) => `${base}_bucket${labels([...tags, ["le", canonicalNumber(le)]])} ${count}`)
      lines.push(
        `${base}_bucket${labels([...tags, ["le", "+Inf"]])} ${state.count}`,
        `${base}_count${lkey} ${state.count}`,
        `${base}_sum${lkey} ${num(state.sum)}`
      )
      add(base, "histogram", help, lkey, lines)
    } else if (MetricState.isSummaryState(state)) {
      const base = sanitize(key.name)
      const lines: Array<string> = []
      for (const [q, v] of state.quantiles) {
        if (Option.isSome(v)) lines.push(`${base}${labels([...tags, ["quantile", canonicalNumber(q)]])} ${num(v.value)}`)
      }
      lines.push(`${base}_count${lkey} ${state.count}`, `${base}_sum${lkey} ${num(state.sum)}`)
      add(base, "summary", help, lkey, lines)
    } else if (MetricState.isFrequencyState(state)) {
      const base = sanitize(key.name).replace(/_total$/, "")
      for (const [value, count] of state.occurrences) {
        const l = labels([...tags, ["value", value]])
        add(base, "counter", help, l, [`${base}_total${l} ${count}`])
      }
    }
  }
  let out = ""
  for (const [name, f] of [...families.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out += `# TYPE ${name} ${f.type}\n`
    const unit = baseUnits.find((u) => name.endsWith(`_${u}`))
    if (unit !== undefined) out += `# UNIT ${name} ${unit}\n`
    if (f.help !== undefined && f.help !== "") out += `# HELP ${name} ${escape(f.help)}\n`
    for (const p of f.points.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      for (const line of p.lines) out += line + "\n"
    }
  }
  return out + "# EOF\n"
}
