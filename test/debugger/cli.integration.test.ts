import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startIntake } from "./intake.js"

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `dd-agent …`; the child is killed if the test is interrupted. */
const ddAgent = (args: ReadonlyArray<string>, stdin?: string) =>
  Effect.async<Run>((resume) => {
    const child = execFile(process.execPath, [path.resolve("bin/dd-agent.js"), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1
      resume(Effect.succeed({ code, stdout, stderr }))
    })
    if (stdin !== undefined) child.stdin?.end(stdin)
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const examples = path.resolve("docs/examples")
const goldenDir = path.resolve("test/debugger/golden")
const canonical = (json: string) => JSON.stringify(JSON.parse(json))

describe("dd-agent snapshot (end to end)", () => {
  it.live("encode turns the documented examples into the golden messages", () =>
    Effect.gen(function*() {
      const run = yield* ddAgent(["snapshot", "encode", "--processes", path.join(examples, "processes.json"), "--sequential-ids",
        path.join(examples, "events.jsonl")])
      assert.strictEqual(run.code, 0, run.stderr)
      const lines = run.stdout.split("\n").filter((l) => l !== "")
      const goldens = fs.readdirSync(goldenDir).filter((f) => f.endsWith(".json")).sort()
      assert.strictEqual(lines.length, goldens.length)
      lines.forEach((l, i) => assert.strictEqual(canonical(l), canonical(fs.readFileSync(path.join(goldenDir, goldens[i]!), "utf8")), goldens[i]))
    }))

  it.live("reports invalid lines by number and rule, encodes the rest, and exits non-zero", () =>
    Effect.gen(function*() {
      const good = fs.readFileSync(path.join(examples, "events.jsonl"), "utf8").split("\n")[0]!
      const input = [good, `{"probe":{"id":"p","version":"one","location":{}}}`, "not json", good].join("\n")
      const run = yield* ddAgent(["snapshot", "encode", "--service", "from-flag", "--sequential-ids"], input)
      assert.strictEqual(run.code, 1)
      assert.include(run.stderr, "line 2: probe.version: Expected number")
      assert.include(run.stderr, "line 3: not JSON")
      const out = run.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
      assert.deepStrictEqual(out.map((m) => m.service), ["from-flag", "from-flag"])
    }))

  it.live("reports lines nested 1,000 and 100,000 deep as invalid and encodes the lines after them", () =>
    Effect.gen(function*() {
      const good = fs.readFileSync(path.join(examples, "events.jsonl"), "utf8").split("\n")[0]!
      const nested = (depth: number) => {
        const value = '{"kind":"interface","type":"any","value":'.repeat(depth) + '{"kind":"null","type":"T"}' + "}".repeat(depth)
        return JSON.stringify({ ...JSON.parse(good), captures: { entry: { arguments: { deep: "VALUE" } } } }).replace('"VALUE"', value)
      }
      const run = yield* ddAgent(["snapshot", "encode", "--service", "s", "--sequential-ids"], [good, nested(1_000), nested(100_000), good].join("\n"))
      assert.strictEqual(run.code, 1, run.stderr)
      assert.include(run.stderr, "line 2: captures.entry.arguments.deep.value.value.value.value…: nested deeper than 256 levels (maxJsonNesting)")
      assert.include(run.stderr, "line 3: captures.entry.arguments.deep.value.value.value.value…: nested deeper than 256 levels (maxJsonNesting)")
      assert.include(run.stderr, "2 of 4 events not encoded")
      assert.strictEqual(run.stdout.split("\n").filter((l) => l !== "").length, 2)
    }))

  it.scopedLive("upload delivers every example to a local intake, retrying a 503", () =>
    Effect.gen(function*() {
      const intake = yield* startIntake({ status: (n) => (n === 0 ? 503 : 200) })
      const run = yield* ddAgent(["snapshot", "upload", "--endpoint", intake.url, "--processes", path.join(examples, "processes.json"),
        "--no-rate-limit", path.join(examples, "events.jsonl")])
      assert.strictEqual(run.code, 0, run.stderr)
      const reqs = (yield* intake.all).filter((r) => r.status === 200)
      const snapshots = reqs.filter((r) => r.url.pathname === "/debugger/v2/input").flatMap((r) => JSON.parse(r.text))
      assert.strictEqual(snapshots.length, 7)
      const summary = JSON.parse(run.stderr.trim().split("\n").pop()!)
      assert.strictEqual(summary.queued, 7)
      assert.isAtLeast(summary.retries, 1)
      assert.deepStrictEqual(new Set(reqs.map((r) => r.url.searchParams.get("ddtags"))).has("env:prod,version:1.4.2"), true)
    }))

  it.live("upload exits non-zero with counts when the intake rejects the data", () =>
    Effect.scoped(Effect.gen(function*() {
      const intake = yield* startIntake({ status: () => 400 })
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dd-snapshot-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const file = path.join(dir, "one.jsonl")
      fs.writeFileSync(file, fs.readFileSync(path.join(examples, "events.jsonl"), "utf8").split("\n")[0]! + "\n")
      const run = yield* ddAgent(["snapshot", "upload", "--endpoint", intake.url, "--processes", path.join(examples, "processes.json"), file])
      assert.strictEqual(run.code, 1)
      assert.include(run.stderr, `"failed":`)
    })))
})
