/**
 * Renders Effect metric snapshots as OpenMetrics text (what a Prometheus-style scraper reads from /metrics).
 */
import { MetricState, Option } from "effect"
import type { MetricPair } from "effect"

const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([^a-zA-Z_:])/, "_$1")
const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")
const num = (n: number | bigint) =>
  typeof n === "bigint" ? n.toString() : Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN"

const labels = (pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${sanitize(k)}="${escapeLabel(v)}"`).join(",")}}`

export const renderOpenMetrics = (snapshot: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  // Group samples by family so each family's TYPE/HELP appears once.
  const families = new Map<string, { type: string; help: string | undefined; lines: Array<string> }>()
  const family = (name: string, type: string, help: string | undefined) => {
    let f = families.get(name)
    if (f === undefined) {
      f = { type, help, lines: [] }
      families.set(name, f)
    }
    return f
  }
  for (const pair of snapshot) {
    const key = pair.metricKey
    const tags = key.tags.map((t) => [t.key, t.value] as const)
    const help = Option.getOrUndefined(key.description)
    const state = pair.metricState
    if (MetricState.isCounterState(state)) {
      const base = sanitize(key.name).replace(/_total$/, "")
      family(base, "counter", help).lines.push(`${base}_total${labels(tags)} ${num(state.count)}`)
    } else if (MetricState.isGaugeState(state)) {
      const base = sanitize(key.name)
      family(base, "gauge", help).lines.push(`${base}${labels(tags)} ${num(state.value)}`)
    } else if (MetricState.isHistogramState(state)) {
      const base = sanitize(key.name)
      const f = family(base, "histogram", help)
      for (const [le, count] of state.buckets) f.lines.push(`${base}_bucket${labels([...tags, ["le", num(le)]])} ${count}`)
      if (!state.buckets.some(([le]) => le === Infinity)) f.lines.push(`${base}_bucket${labels([...tags, ["le", "+Inf"]])} ${state.count}`)
      f.lines.push(`${base}_count${labels(tags)} ${state.count}`, `${base}_sum${labels(tags)} ${num(state.sum)}`)
    } else if (MetricState.isSummaryState(state)) {
      const base = sanitize(key.name)
      const f = family(base, "summary", help)
      for (const [q, v] of state.quantiles) {
        if (Option.isSome(v)) f.lines.push(`${base}${labels([...tags, ["quantile", String(q)]])} ${num(v.value)}`)
      }
      f.lines.push(`${base}_count${labels(tags)} ${state.count}`, `${base}_sum${labels(tags)} ${num(state.sum)}`)
    } else if (MetricState.isFrequencyState(state)) {
      const base = sanitize(key.name).replace(/_total$/, "")
      const f = family(base, "counter", help)
      for (const [value, count] of state.occurrences) f.lines.push(`${base}_total${labels([...tags, ["value", value]])} ${count}`)
    }
  }
  let out = ""
  for (const [name, f] of [...families.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out += `# TYPE ${name} ${f.type}\n`
    if (f.help !== undefined) out += `# HELP ${name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n`
    for (const line of f.lines.sort()) out += line + "\n"
  }
  return out + "# EOF\n"
}
