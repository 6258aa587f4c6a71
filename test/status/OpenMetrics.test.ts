import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect, Metric, MetricBoundaries } from "effect"
import { canonicalNumber, renderOpenMetrics } from "../../src/services/status/OpenMetrics.js"
import { checkOpenMetrics } from "./openMetricsStrict.js"

describe("strict OpenMetrics checker", () => {
  const valid = [
    "# TYPE a_seconds histogram",
    "# UNIT a_seconds seconds",
    "a_seconds_bucket{k=\"x\",le=\"0.5\"} 1",
    "a_seconds_bucket{k=\"x\",le=\"5.0\"} 2",
    "a_seconds_bucket{k=\"x\",le=\"10.0\"} 2",
    "a_seconds_bucket{k=\"x\",le=\"+Inf\"} 3",
    "a_seconds_count{k=\"x\"} 3",
    "a_seconds_sum{k=\"x\"} 20.5",
    "# TYPE b counter",
    "b_total 4",
    "# EOF",
    ""
  ]
  const without = (i: number) => valid.filter((_, j) => j !== i).join("\n")
  const replace = (i: number, line: string) => valid.map((l, j) => (j === i ? line : l)).join("\n")

  it("accepts a valid exposition", () => {
    assert.deepStrictEqual(checkOpenMetrics(valid.join("\n")), [])
  })

  it("rejects each violation a scraper would refuse", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      [without(10), "does not end with '# EOF'"],
      [replace(3, "a_seconds_bucket{k=\"x\",le=\"10.0\"} 2").replace("le=\"10.0\"} 2\na_seconds_bucket{k=\"x\",le=\"10.0\"}", "le=\"10.0\"} 2\na_seconds_bucket{k=\"x\",le=\"5.0\"}"), "increasing le order"],
      [without(5), "no +Inf bucket"],
      [replace(6, "a_seconds_count{k=\"x\"} 4"), "differs from the +Inf bucket"],
      [replace(1, "# UNIT a_seconds bytes"), "does not end with its unit"],
      [replace(9, "b 4"), "no valid suffix"],
      [replace(9, "b_total -1"), "non-negative"],
      [valid.join("\n") + "\n", "before the end"],
      [replace(10, "# TYPE a_seconds gauge\n# EOF"), "families must not be interleaved"],
      [replace(7, "a_seconds_sum{k=\"y\"} 1\na_seconds_sum{k=\"x\"} 20.5"), "metrics must not be interleaved"],
      [replace(9, "b_total{k=\"a\\q\"} 4"), "undefined escape"],
      [replace(9, "b_total 4x"), "invalid number"],
      [replace(9, "# a comment\nb_total 4"), "comment lines"]
    ]
    for (const [text, expected] of cases) {
      const errors = checkOpenMetrics(text)
      assert.isTrue(errors.some((e) => e.includes(expected)), `expected '${expected}' for:\n${text}\ngot: ${JSON.stringify(errors)}`)
    }
  })
})

describe("renderOpenMetrics", () => {
  it("renders le values canonically (Go %g with .0)", () => {
    assert.deepStrictEqual(
      [0, 0.001, 0.5, 1, 10, 100000, 1e6, 1e-5, 1.1e23, 0.0001].map(canonicalNumber),
      ["0.0", "0.001", "0.5", "1.0", "10.0", "100000.0", "1e+06", "1e-05", "1.1e+23", "0.0001"]
    )
  })

  it.effect("passes the strict checker: buckets in numeric order, labelsets kept together, units and escapes", () =>
    Effect.gen(function*() {
      const histogram = Metric.histogram("dd_test_om_wait_seconds", MetricBoundaries.fromIterable([0.5, 1, 5, 10, 100]), "wait \"time\"\nper call")
      for (const [route, v] of [["a", 0.2], ["b", 7], ["a", 50], ["b", 1000], ["a", 3]] as const) {
        yield* Metric.update(Metric.tagged(histogram, "route", route), v)
      }
      const counter = Metric.counter("dd_test_om_sent_bytes_total", { incremental: true })
      yield* Metric.incrementBy(Metric.tagged(counter, "to", "x\\y \"q\""), 10)
      yield* Metric.incrementBy(Metric.tagged(counter, "to", "a"), 1)
      yield* Metric.set(Metric.gauge("dd_test_om_inflight"), 3)
      yield* Metric.update(Metric.frequency("dd_test_om_reasons_total"), "full")
      yield* Metric.update(Metric.summary({ name: "dd_test_om_size_bytes", maxAge: "1 minute", maxSize: 10, error: 0.01, quantiles: [0.5, 0.99] }), 4)
      const text = renderOpenMetrics(yield* Metric.snapshot)
      assert.deepStrictEqual(checkOpenMetrics(text), [])
      assert.include(text, [
        "# TYPE dd_test_om_wait_seconds histogram",
        "# UNIT dd_test_om_wait_seconds seconds",
        "# HELP dd_test_om_wait_seconds wait \\\"time\\\"\\nper call",
        "dd_test_om_wait_seconds_bucket{route=\"a\",le=\"0.5\"} 1",
        "dd_test_om_wait_seconds_bucket{route=\"a\",le=\"1.0\"} 1",
        "dd_test_om_wait_seconds_bucket{route=\"a\",le=\"5.0\"} 2",
        "dd_test_om_wait_seconds_bucket{route=\"a\",le=\"10.0\"} 2",
        "dd_test_om_wait_seconds_bucket{route=\"a\",le=\"100.0\"} 3",
        "dd_test_om_wait_seconds_bucket{route=\"a\",le=\"+Inf\"} 3",
        "dd_test_om_wait_seconds_count{route=\"a\"} 3",
        "dd_test_om_wait_seconds_sum{route=\"a\"} 53.2",
        "dd_test_om_wait_seconds_bucket{route=\"b\",le=\"0.5\"} 0"
      ].join("\n"))
      assert.include(text, "# TYPE dd_test_om_sent_bytes counter\n# UNIT dd_test_om_sent_bytes bytes\n")
      assert.include(text, "dd_test_om_sent_bytes_total{to=\"x\\\\y \\\"q\\\"\"} 10\n")
    }))
})

describe("metric names", () => {
  // Every metric the project defines, read from the source: one prefix, counters end in _total, base units only.
  const files = (dir: string): Array<string> =>
    Fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(Path.join(dir, e.name)) : e.name.endsWith(".ts") ? [Path.join(dir, e.name)] : []))
  const defined = files("src").flatMap((file) =>
    [...Fs.readFileSync(file, "utf8").matchAll(/Metric\.(counter|gauge|histogram|frequency|summary|timer\w*)\(\s*(?:\{\s*name:\s*)?"([^"]+)"/g)]
      .map((m) => ({ file, kind: m[1]!, name: m[2]! })))

  it("follow one convention", () => {
    assert.isAbove(defined.length, 40)
    for (const { file, kind, name } of defined) {
      const where = `${name} (${file})`
      assert.match(name, /^dd_agent_[a-z0-9_]+$/, where)
      assert.notMatch(name, /_(ms|millis|milliseconds|us|ns|kb|mb)(_|$)/, `${where}: base units (seconds, bytes) only`)
      assert.isFalse(kind.startsWith("timer"), `${where}: a timer records milliseconds; use a histogram in seconds`)
      if (kind === "counter" || kind === "frequency") assert.match(name, /_total$/, `${where}: a counter ends in _total`)
      else assert.notMatch(name, /_total$/, `${where}: only counters end in _total`)
    }
  })
})
