import { assert, describe, it } from "@effect/vitest"
import type { BatchLimits, BatchState, UploadItem } from "../../src/services/debugger/Batcher.js"
import { addItem, batchBody, drainBatches, dueBatches, emptyBatches, nextDeadline } from "../../src/services/debugger/Batcher.js"

const item = (json: string, ddtags = "env:a"): UploadItem => ({ channel: "snapshot", ddtags, json, bytes: Buffer.byteLength(json) })
const limits: BatchLimits = { maxItems: 3, maxBytes: 30, intervalMs: 100 }

const feed = (items: ReadonlyArray<UploadItem>, l = limits) => {
  let state: BatchState = emptyBatches
  const flushed: Array<string> = []
  for (const it of items) {
    const s = addItem(state, it, 0, l)
    state = s.state
    flushed.push(...s.flush.map(batchBody))
  }
  return { state, flushed }
}

describe("batcher", () => {
  it("flushes at the item limit", () => {
    const { flushed, state } = feed(["1", "2", "3", "4"].map((j) => item(j)), { ...limits, maxBytes: 1000 })
    assert.deepStrictEqual(flushed, ["[1,2,3]"])
    assert.deepStrictEqual(drainBatches(state).flush.map(batchBody), ["[4]"])
  })

  it("checks the byte limit before appending, so no batch passes it", () => {
    const { flushed, state } = feed(["\"aaaaaaaaaa\"", "\"bbbbbbbbbb\"", "\"cccccccccc\""].map((j) => item(j)))
    const all = [...flushed, ...drainBatches(state).flush.map(batchBody)]
    assert.deepStrictEqual(all, ["[\"aaaaaaaaaa\",\"bbbbbbbbbb\"]", "[\"cccccccccc\"]"])
    for (const b of all) assert.isAtMost(Buffer.byteLength(b), 30)
  })

  it("keeps one batch per ddtags and flushes each when its interval has elapsed", () => {
    let state = addItem(emptyBatches, item("1", "env:a"), 0, limits).state
    state = addItem(state, item("2", "env:b"), 50, limits).state
    assert.strictEqual(nextDeadline(state, limits), 100)
    const first = dueBatches(state, 100, limits)
    assert.deepStrictEqual(first.flush.map((b) => [b.ddtags, batchBody(b)]), [["env:a", "[1]"]])
    assert.strictEqual(nextDeadline(first.state, limits), 150)
    assert.deepStrictEqual(dueBatches(first.state, 150, limits).flush.map(batchBody), ["[2]"])
  })
})
