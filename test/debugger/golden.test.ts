import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Schema } from "effect"
import { decodeEventLine } from "../../src/services/debugger/EventDecoder.js"
import { ProcessFactsFile } from "../../src/services/debugger/ProcessInfo.js"
import { layer as encoderLayer, SnapshotEncoder } from "../../src/services/debugger/SnapshotEncoder.js"
import { ProcessInfoStatic } from "../../src/layers/debugger/ProcessInfoLayers.js"
import { SnapshotIdsSequential } from "../../src/layers/debugger/SnapshotIdsLayers.js"

const examples = path.resolve("docs/examples")
const goldenDir = path.resolve("test/debugger/golden")
const lines = fs.readFileSync(path.join(examples, "events.jsonl"), "utf8").split("\n").filter((l) => l !== "")
const goldens = fs.readdirSync(goldenDir).filter((f) => f.endsWith(".json")).sort()
const facts = Schema.decodeUnknownSync(ProcessFactsFile)(JSON.parse(fs.readFileSync(path.join(examples, "processes.json"), "utf8")))
const processes = ProcessInfoStatic(new Map(Object.entries(facts).map(([pid, f]) => [Number(pid), f])))

/** Canonical text: parse and re-serialise, so key order is compared too, whitespace is not. */
const canonical = (json: string): string => JSON.stringify(JSON.parse(json))

describe("golden snapshots (docs/examples/events.jsonl → test/debugger/golden)", () => {
  it("has one golden file per example event", () => {
    assert.strictEqual(goldens.length, lines.length)
  })

  it.effect("encodes every documented example into exactly its golden message", () =>
    Effect.gen(function*() {
      const encoder = yield* SnapshotEncoder
      for (const [i, line] of lines.entries()) {
        const event = decodeEventLine(line, i + 1)
        if (Either.isLeft(event)) return assert.fail(event.left.message)
        const out = yield* encoder.encode(event.right)
        const golden = fs.readFileSync(path.join(goldenDir, goldens[i]!), "utf8")
        assert.strictEqual(canonical(out.json), canonical(golden), `example line ${i + 1} vs ${goldens[i]}`)
        assert.strictEqual(out.bytes, Buffer.byteLength(out.json))
      }
    }).pipe(Effect.provide(encoderLayer().pipe(Layer.provide(Layer.merge(processes, SnapshotIdsSequential))))))
})
