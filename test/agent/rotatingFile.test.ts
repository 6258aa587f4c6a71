import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect } from "effect"
import { makeRotatingFile } from "../../src/layers/RotatingFile.js"

describe("RotatingFile", () => {
  it.scoped("keeps the files within maxBytes × (keep + 1), whole records only, newest last, created 0600", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "rotating-"))
      const path = Path.join(dir, "events.jsonl")
      const file = yield* makeRotatingFile({ path, maxBytes: 1000, keep: 2 })
      const records = Array.from({ length: 200 }, (_, i) => JSON.stringify({ n: i, pad: "é".repeat(i % 30) }) + "\n")
      for (const r of records) yield* file.write(r)
      const names = Fs.readdirSync(dir).sort()
      assert.deepStrictEqual(names, ["events.jsonl", "events.jsonl.1", "events.jsonl.2"])
      for (const n of names) {
        assert.isAtMost(Fs.statSync(Path.join(dir, n)).size, 1000)
        assert.strictEqual(Fs.statSync(Path.join(dir, n)).mode & 0o777, 0o600)
      }
      // Oldest to newest: .2, .1, current — consecutive records ending with the last one, none cut.
      const kept = ["events.jsonl.2", "events.jsonl.1", "events.jsonl"].map((n) => Fs.readFileSync(Path.join(dir, n), "utf8")).join("")
      const ns = kept.split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { n: number }).n)
      assert.strictEqual(ns.at(-1), 199)
      assert.deepStrictEqual(ns, Array.from({ length: ns.length }, (_, i) => 200 - ns.length + i))
      Fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.scoped("continues an existing file's size after a restart, and keep 0 drops old content", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "rotating-"))
      const path = Path.join(dir, "out.jsonl")
      Fs.writeFileSync(path, "x".repeat(900) + "\n")
      const file = yield* makeRotatingFile({ path, maxBytes: 1000, keep: 0 })
      yield* file.write("y".repeat(200) + "\n")
      assert.deepStrictEqual(Fs.readdirSync(dir), ["out.jsonl"])
      assert.strictEqual(Fs.readFileSync(path, "utf8"), "y".repeat(200) + "\n")
      Fs.rmSync(dir, { recursive: true, force: true })
    }))
})
