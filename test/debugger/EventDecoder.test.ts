import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { decodeEventLine, maxJsonNesting } from "../../src/services/debugger/EventDecoder.js"

const base = { probe: { id: "p", version: 1, location: {} }, pid: 7, language: "go", timestamp: 1, thread: { id: 1 } }

describe("capture-event decoding", () => {
  it("names the line, the path and the rule an invalid event broke", () => {
    const r = decodeEventLine(JSON.stringify({ ...base, probe: { ...base.probe, version: -1 } }), 12)
    assert.isTrue(Either.isLeft(r))
    if (Either.isLeft(r)) {
      assert.strictEqual(r.left.line, 12)
      assert.match(r.left.message, /^probe\.version: /)
    }
    const notJson = decodeEventLine("{oops", 3)
    assert.isTrue(Either.isLeft(notJson) && notJson.left.message.startsWith("not JSON"))
  })

  it("drops one invalid variable into an evaluation error naming it and keeps the others", () => {
    const line = JSON.stringify({
      ...base,
      captures: { entry: { arguments: { good: { kind: "scalar", type: "int", value: 1 }, bad: { kind: "struct", type: "S" } } } }
    })
    const r = decodeEventLine(line, 1)
    assert.isTrue(Either.isRight(r))
    if (Either.isRight(r)) {
      assert.deepStrictEqual(Object.keys(r.right.captures?.entry?.arguments ?? {}), ["good"])
      assert.strictEqual(r.right.evaluationErrors?.[0]?.expr, "bad")
      assert.match(r.right.evaluationErrors?.[0]?.message ?? "", /entry\.arguments: fields: is missing/)
    }
  })

  it("rejects a struct that repeats a field name (it would repeat a JSON key)", () => {
    const dup = { kind: "struct", type: "S", fields: [["a", { kind: "null", type: "T" }], ["a", { kind: "null", type: "T" }]] }
    const r = decodeEventLine(JSON.stringify({ ...base, captures: { entry: { arguments: { s: dup } } } }), 1)
    assert.isTrue(Either.isRight(r))
    if (Either.isRight(r)) assert.include(r.right.evaluationErrors?.[0]?.message ?? "", "field names of a struct are unique")
  })

  it("rejects heap addresses and line keys that break the format", () => {
    const badHeap = decodeEventLine(JSON.stringify({ ...base, heap: { "0XAB": { kind: "null", type: "T" } } }), 2)
    assert.isTrue(Either.isLeft(badHeap))
    const badLine = decodeEventLine(JSON.stringify({ ...base, captures: { lines: { "0": {} } } }), 2)
    assert.isTrue(Either.isLeft(badLine) && badLine.left.message.startsWith("captures.lines.0: is unexpected"))
    const typo = decodeEventLine(JSON.stringify({ ...base, captures: { entry: { argumets: {} } } }), 2)
    assert.isTrue(Either.isLeft(typo) && typo.left.message.startsWith("captures.entry.argumets: is unexpected"))
  })

  it("rejects a line nested deeper than maxJsonNesting, naming the line, the path and the rule, without overflowing the stack", () => {
    const nested = (depth: number): string =>
      '{"kind":"struct","type":"T","fields":[["f",'.repeat(depth) + '{"kind":"null","type":"T"}' + "]]}".repeat(depth)
    const line = (value: string) => JSON.stringify({ ...base, captures: { entry: { arguments: { a: "VALUE" } } } }).replace('"VALUE"', value)
    for (const depth of [1_000, 100_000]) {
      const r = decodeEventLine(line(nested(depth)), 7)
      assert.isTrue(Either.isLeft(r), `depth ${depth}`)
      if (Either.isLeft(r)) {
        assert.strictEqual(r.left.line, 7)
        assert.strictEqual(r.left.message, `captures.entry.arguments.a.fields.0.1.fields…: nested deeper than ${maxJsonNesting} levels (maxJsonNesting)`)
      }
    }
    // Within the limit the value decodes (and the encoder shows it down to maxReferenceDepth).
    const ok = decodeEventLine(line(nested(80)), 1)
    assert.isTrue(Either.isRight(ok))
  })
})
