/**
 * A strict OpenMetrics 1.0 text-format checker, written from the specification (ABNF and the MUST rules of
 * "Text format", "MetricFamily", "MetricPoint" and "Metric types"). It returns every violation it finds, each
 * naming the line; an empty list means the exposition is valid.
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const REAL = /^[+-]?(?:\d+(?:\.\d*)?(?:e[+-]?\d+)?|\d*\.\d+(?:e[+-]?\d+)?)$/i
const SPECIAL = /^(?:[+-]?(?:inf|infinity)|nan)$/i
const TYPES = new Set(["counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"])

/** Sample-name suffixes each type allows (the empty suffix is the bare family name). */
const SUFFIXES: Record<string, ReadonlyArray<string>> = {
  counter: ["_total", "_created"],
  gauge: [""],
  histogram: ["_bucket", "_count", "_sum", "_created"],
  gaugehistogram: ["_bucket", "_gcount", "_gsum"],
  stateset: [""],
  info: ["_info"],
  summary: ["", "_count", "_sum", "_created"],
  unknown: [""]
}

const parseNumber = (s: string): number | undefined => {
  if (REAL.test(s)) return Number(s)
  if (SPECIAL.test(s)) return /nan/i.test(s) ? NaN : s.startsWith("-") ? -Infinity : Infinity
  return undefined
}

/** Parses `{a="x",b="y"}` at the start of `s`; returns the labels and the rest of the line, or an error. */
const parseLabels = (s: string): { labels: Array<[string, string]>; rest: string } | string => {
  const labels: Array<[string, string]> = []
  let i = 1
  if (s[i] === "}") return { labels, rest: s.slice(i + 1) }
  for (;;) {
    const eq = s.indexOf("=", i)
    if (eq < 0) return "label without '='"
    const name = s.slice(i, eq)
    if (!LABEL_NAME.test(name)) return `invalid label name '${name}'`
    if (s[eq + 1] !== "\"") return `label ${name}: value not quoted`
    let j = eq + 2
    let value = ""
    for (;;) {
      const c = s[j]
      if (c === undefined) return `label ${name}: unterminated value`
      if (c === "\"") break
      if (c === "\\") {
        const n = s[j + 1]
        if (n === "n") value += "\n"
        else if (n === "\"" || n === "\\") value += n
        else return `label ${name}: undefined escape '\\${n ?? ""}'`
        j += 2
        continue
      }
      value += c
      j++
    }
    if (labels.some(([k]) => k === name)) return `duplicate label '${name}'`
    labels.push([name, value])
    i = j + 1
    if (s[i] === ",") {
      i++
      continue
    }
    if (s[i] === "}") return { labels, rest: s.slice(i + 1) }
    return `unexpected '${s[i] ?? "end of line"}' after label ${name}`
  }
}

interface FamilyState {
  readonly name: string
  type: string
  unit: string | undefined
  help: string | undefined
  sawSample: boolean
  /** Labelsets (without le/quantile) already finished: seeing one again means interleaved metrics. */
  readonly done: Set<string>
  current: string | undefined
  point: { les: Array<number>; counts: Array<number>; count: number | undefined; sum: boolean; infCount: number | undefined }
}

const freshPoint = () => ({ les: [] as Array<number>, counts: [] as Array<number>, count: undefined as number | undefined, sum: false, infCount: undefined as number | undefined })

export const checkOpenMetrics = (text: string): ReadonlyArray<string> => {
  const errors: Array<string> = []
  if (text.includes("\r")) errors.push("carriage return in exposition")
  if (!(text.endsWith("# EOF\n") || text.endsWith("# EOF"))) errors.push("exposition does not end with '# EOF'")
  const lines = text.split("\n")
  if (lines[lines.length - 1] === "") lines.pop()
  const seen = new Set<string>()
  let fam: FamilyState | undefined

  const finishPoint = (f: FamilyState, at: number) => {
    if (f.current === undefined) return
    if (f.type === "histogram" || f.type === "gaugehistogram") {
      const p = f.point
      if (p.les.length > 0 || p.count !== undefined || p.sum) {
        if (p.infCount === undefined) errors.push(`line ${at}: ${f.name}${f.current}: no +Inf bucket`)
        if (p.sum && p.count === undefined) errors.push(`line ${at}: ${f.name}${f.current}: a sum without a count`)
        if (p.count !== undefined && p.infCount !== undefined && p.count !== p.infCount) {
          errors.push(`line ${at}: ${f.name}${f.current}: count ${p.count} differs from the +Inf bucket ${p.infCount}`)
        }
      }
    }
    f.done.add(f.current)
    f.current = undefined
    f.point = freshPoint()
  }
  const finishFamily = (at: number) => {
    if (fam !== undefined) finishPoint(fam, at)
  }
  const startFamily = (name: string, at: number) => {
    finishFamily(at)
    if (seen.has(name)) errors.push(`line ${at}: family ${name} appears again (families must not be interleaved)`)
    seen.add(name)
    fam = { name, type: "unknown", unit: undefined, help: undefined, sawSample: false, done: new Set(), current: undefined, point: freshPoint() }
    return fam
  }

  lines.forEach((line, index) => {
    const at = index + 1
    if (index === lines.length - 1 && line === "# EOF") return
    if (line === "# EOF") return void errors.push(`line ${at}: '# EOF' before the end`)
    if (line.startsWith("#")) {
      const m = /^# (TYPE|UNIT|HELP) ([^ ]+)(?: (.*))?$/.exec(line)
      if (m === null) return void errors.push(`line ${at}: comment lines other than TYPE/UNIT/HELP/EOF are not allowed`)
      const [, kind, name, value = ""] = m as unknown as [string, string, string, string | undefined]
      if (!METRIC_NAME.test(name)) return void errors.push(`line ${at}: invalid family name '${name}'`)
      const f = fam !== undefined && fam.name === name && !fam.sawSample ? fam : startFamily(name, at)
      if (kind === "TYPE") {
        if (f.type !== "unknown" || f.unit !== undefined || f.help !== undefined) errors.push(`line ${at}: TYPE of ${name} after other metadata or twice`)
        if (!TYPES.has(value)) errors.push(`line ${at}: unknown type '${value}'`)
        f.type = value
      } else if (kind === "UNIT") {
        if (f.unit !== undefined) errors.push(`line ${at}: second UNIT for ${name}`)
        if (value !== "" && !name.endsWith(`_${value}`)) errors.push(`line ${at}: family ${name} does not end with its unit _${value}`)
        if (value !== "" && (f.type === "info" || f.type === "stateset")) errors.push(`line ${at}: ${f.type} may not have a unit`)
        f.unit = value
      } else {
        if (f.help !== undefined) errors.push(`line ${at}: second HELP for ${name}`)
        if (/\\(?![n"\\])/.test(value)) errors.push(`line ${at}: HELP has an undefined escape`)
        if (/(?<!\\)"/.test(value.replace(/\\\\/g, ""))) errors.push(`line ${at}: HELP has an unescaped '"'`)
        f.help = value
      }
      return
    }
    // A sample: metricname [labels] SP number [SP timestamp]
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)
    if (nm === null) return void errors.push(`line ${at}: not a sample: '${line}'`)
    const sampleName = nm[0]
    let rest = line.slice(sampleName.length)
    let sampleLabels: Array<[string, string]> = []
    if (rest.startsWith("{")) {
      const parsed = parseLabels(rest)
      if (typeof parsed === "string") return void errors.push(`line ${at}: ${parsed}`)
      sampleLabels = parsed.labels
      rest = parsed.rest
    }
    const parts = rest.split(" ")
    if (parts[0] !== "" || parts.length < 2 || parts.length > 3) return void errors.push(`line ${at}: expected ' VALUE [TIMESTAMP]' after the name and labels`)
    const value = parseNumber(parts[1]!)
    if (value === undefined) return void errors.push(`line ${at}: invalid number '${parts[1]}'`)
    if (parts.length === 3 && (parts[2] === undefined || !REAL.test(parts[2]))) return void errors.push(`line ${at}: invalid timestamp`)

    // Which family does the sample belong to?
    let f = fam
    const suffix = f === undefined ? undefined : (SUFFIXES[f.type] ?? [""]).find((s) => sampleName === f!.name + s)
    if (f === undefined || suffix === undefined) {
      if (f !== undefined && f.type !== "unknown" && sampleName.startsWith(f.name)) {
        return void errors.push(`line ${at}: sample ${sampleName} has no valid suffix for ${f.type} ${f.name}`)
      }
      f = startFamily(sampleName, at)
    }
    f.sawSample = true
    const sfx = suffix ?? ""
    const special = f.type === "histogram" || f.type === "gaugehistogram" ? "le" : f.type === "summary" ? "quantile" : undefined
    const own = sampleLabels.filter(([k]) => k !== special).map(([k, v]) => `${k}=${JSON.stringify(v)}`).sort().join(",")
    const key = `{${own}}`
    if (f.current !== key) {
      finishPoint(f, at)
      if (f.done.has(key)) errors.push(`line ${at}: ${f.name}${key} appears again (metrics must not be interleaved)`)
      f.current = key
    }
    if (f.type === "counter" && sfx === "_total" && (Number.isNaN(value) || value < 0)) errors.push(`line ${at}: counter total must be a non-negative number`)
    if (special === "le" && sfx === "_bucket") {
      const le = sampleLabels.find(([k]) => k === "le")
      if (le === undefined) return void errors.push(`line ${at}: bucket without le`)
      const bound = parseNumber(le[1])
      if (bound === undefined || Number.isNaN(bound)) return void errors.push(`line ${at}: le '${le[1]}' is not a number`)
      const p = f.point
      if (p.les.length > 0 && bound <= p.les[p.les.length - 1]!) errors.push(`line ${at}: buckets not in increasing le order (${le[1]} after ${p.les[p.les.length - 1]})`)
      if (p.counts.length > 0 && value < p.counts[p.counts.length - 1]!) errors.push(`line ${at}: bucket counts decrease`)
      if (p.count !== undefined || p.sum) errors.push(`line ${at}: bucket after count/sum`)
      p.les.push(bound)
      p.counts.push(value)
      if (bound === Infinity) p.infCount = value
    } else if (special === "le") {
      if (sampleLabels.some(([k]) => k === "le")) errors.push(`line ${at}: le on a non-bucket sample`)
      if (sfx === "_count" || sfx === "_gcount") f.point.count = value
      if (sfx === "_sum" || sfx === "_gsum") f.point.sum = true
    }
    if (special === "quantile" && sfx === "") {
      const q = sampleLabels.find(([k]) => k === "quantile")
      const qv = q === undefined ? undefined : parseNumber(q[1])
      if (qv === undefined || !(qv >= 0 && qv <= 1)) errors.push(`line ${at}: summary quantile must be a number from 0 to 1`)
    }
  })
  finishFamily(lines.length)
  return errors
}
