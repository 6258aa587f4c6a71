import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import { BoundedLru } from "../../src/services/process/Lru.js"
import { retryDelayMillis } from "../../src/services/process/RetryPolicy.js"
import { diffScan, type Observation } from "../../src/services/process/ScanDiff.js"

const o = (pid: number, ppid: number, startTime: number, comm: string): Observation => ({ pid, ppid, startTime, comm })
const prev = (...xs: ReadonlyArray<Observation>) => new Map(xs.map((x) => [x.pid, x]))

describe("diffScan", () => {
  const init = o(1, 0, 1, "init")
  const shell = o(10, 1, 5, "bash")

  it("reports nothing when nothing changed", () => {
    assert.deepStrictEqual(diffScan(prev(init, shell), [init, shell]), [])
  })

  it("a new child running its parent's command is a fork; any other new process an exec", () => {
    const forked = o(11, 10, 9, "bash")
    const execed = o(12, 10, 9, "python3")
    const changes = diffScan(prev(init, shell), [init, shell, forked, execed])
    assert.deepStrictEqual(changes.map((c) => [c._tag, c.process.pid]), [["Forked", 11], ["Execed", 12]])
  })

  it("a known process whose command changed exec'd", () => {
    const changes = diffScan(prev(init, shell), [init, { ...shell, comm: "node" }])
    assert.deepStrictEqual(changes, [{ _tag: "Execed", process: { ...shell, comm: "node" }, previousComm: "bash" }])
  })

  it("a vanished process exited", () => {
    assert.deepStrictEqual(diffScan(prev(init, shell), [init]), [{ _tag: "Exited", process: shell }])
  })

  it("a reused pid is the exit of the old incarnation, then a new process", () => {
    const reused = o(10, 1, 99, "bash")
    const changes = diffScan(prev(init, shell), [init, reused])
    assert.deepStrictEqual(changes.map((c) => [c._tag, c.process.startTime]), [["Exited", 5], ["Execed", 99]])
  })
})

describe("retry delay", () => {
  it("starts at 5 s, doubles, caps at 5 min, never stops", () => {
    const policy = { initial: Duration.seconds(5), max: Duration.minutes(5) }
    const delays = Array.from({ length: 9 }, (_, i) => retryDelayMillis(policy, i) / 1000)
    assert.deepStrictEqual(delays, [5, 10, 20, 40, 80, 160, 300, 300, 300])
    assert.strictEqual(retryDelayMillis(policy, 10_000), 300_000)
  })
})

describe("BoundedLru", () => {
  it("evicts the least recently used entry beyond the count limit; get refreshes recency, peek does not", () => {
    const lru = new BoundedLru<string, number>({ maxEntries: 2, maxBytes: 1000 })
    lru.set("a", 1, 1)
    lru.set("b", 2, 1)
    lru.get("a")
    assert.deepStrictEqual(lru.set("c", 3, 1), [["b", 2]])
    lru.peek("a")
    assert.deepStrictEqual(lru.set("d", 4, 1), [["a", 1]])
    assert.deepStrictEqual(lru.values(), [3, 4])
  })

  it("evicts until under the byte limit, and tracks bytes on replace and delete", () => {
    const lru = new BoundedLru<string, number>({ maxEntries: 10, maxBytes: 100 })
    lru.set("a", 1, 40)
    lru.set("b", 2, 40)
    assert.deepStrictEqual(lru.set("c", 3, 50), [["a", 1]])
    assert.strictEqual(lru.totalBytes, 90)
    lru.set("b", 20, 10)
    assert.strictEqual(lru.totalBytes, 60)
    lru.delete("c")
    assert.strictEqual(lru.totalBytes, 10)
    assert.strictEqual(lru.size, 1)
  })

  it("rejects nonsensical limits", () => {
    assert.throws(() => new BoundedLru({ maxEntries: 0, maxBytes: 1 }), RangeError)
  })
})
