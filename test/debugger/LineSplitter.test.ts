import { assert, describe, it } from "@effect/vitest"
import type { SplitLine, SplitState } from "../../src/services/debugger/LineSplitter.js"
import { initialSplit, splitChunk } from "../../src/services/debugger/LineSplitter.js"

const split = (chunks: ReadonlyArray<string>, max: number): Array<SplitLine> => {
  let state: SplitState = initialSplit
  const out: Array<SplitLine> = []
  for (const c of [...chunks, undefined]) {
    const [next, lines] = splitChunk(state, c, max)
    state = next
    out.push(...lines)
  }
  return out
}
const line = (text: string): SplitLine => ({ _tag: "Line", text })

describe("bounded line splitter", () => {
  it("joins lines across chunks, strips CR, keeps a last line without newline", () => {
    assert.deepStrictEqual(split(["ab", "c\r\nde", "f\n\ng"], 10), [line("abc"), line("def"), line(""), line("g")])
  })

  it("reports a line longer than the limit and keeps the lines after it", () => {
    assert.deepStrictEqual(split(["12345", "67890", "abc\nok\n"], 8), [{ _tag: "TooLong", length: 13 }, line("ok")])
    assert.deepStrictEqual(split(["xx\n123456789"], 8), [line("xx"), { _tag: "TooLong", length: 9 }])
  })

  it("never holds more than the limit while skipping", () => {
    let state: SplitState = initialSplit
    for (let i = 0; i < 100; i++) {
      state = splitChunk(state, "y".repeat(1000), 50)[0]
      assert.isAtMost(state.pending.length, 50)
    }
    assert.deepStrictEqual(splitChunk(state, "\n", 50)[1], [{ _tag: "TooLong", length: 100_000 }])
  })
})
