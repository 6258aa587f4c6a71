/** The idle phase's driver and /proc classifier, with a fake holder, fake tables and fake timers (no I/O). */
import type * as Net from "node:net"
import { afterEach, assert, beforeEach, describe, it, vi } from "vitest"
import { type IdleClassifier, procNetClassifier, type Verdict } from "../../src/layers/loader/idle/IdleClassifier.js"
import { waitIdle } from "../../src/layers/loader/idle/IdleWait.js"
import { Classification, type PolicyConfig } from "../../src/services/loader/Policy.js"
import { conn, fakes, probePolicy } from "./idleFakes.js"

beforeEach(() => void vi.useFakeTimers())
afterEach(() => void vi.useRealTimers())

/** The idle driver over the fakes, with fake timers. */
const started = (policy: PolicyConfig = probePolicy) => {
  const f = fakes()
  const debug: Array<string> = []
  const start = (holdTimeoutMs = 30_000) =>
    waitIdle({ holder: f.holder, classifier: f.classifier, policy, holdTimeoutMs, debug: (l) => void debug.push(l), now: () => Date.now() })
  return { ...f, debug, start }
}

const settled = async <A>(p: Promise<A>) => {
  let value: A | undefined
  void p.then((v) => (value = v))
  await vi.advanceTimersByTimeAsync(0)
  return value
}

describe("idle driver", () => {
  it("drops probes, then activates on data with the trigger, the probe count and the time waited", async () => {
    const f = started()
    const wait = f.start()
    f.arrive(conn(1))
    f.verdict(1, Classification.Closed())
    f.arrive(conn(2))
    await vi.advanceTimersByTimeAsync(250)
    f.arrive(conn(3)) // idle, held
    f.verdict(2, Classification.Data({ bytes: 10 }))
    const r = await settled(wait.result)
    assert.deepStrictEqual(r, { _tag: "Activate", reason: "data", detail: "TCP client sent 10 byte(s)", trigger: 2, absorbed: 1, waitedMs: 250 })
    assert.deepStrictEqual(f.dropped, [1])
    assert.includeMembers(f.stopped, [1, 2, 3], "every watch and hold timer stopped")
    assert.isTrue(f.closed())
    assert.deepStrictEqual(f.debug, [
      "Accepted connection on tcp listener: 101",
      "TCP client closed connection, closing file descriptor 101",
      "Accepted connection on tcp listener: 102",
      "Accepted connection on tcp listener: 103"
    ])
  })

  it("a held connection silent for the hold timeout activates; a dropped one's timer is cleared", async () => {
    const f = started()
    const wait = f.start(1000)
    f.arrive(conn(1))
    f.verdict(1, Classification.Closed())
    f.arrive(conn(2))
    await vi.advanceTimersByTimeAsync(999)
    assert.isUndefined(await settled(wait.result))
    await vi.advanceTimersByTimeAsync(1)
    const r = await settled(wait.result)
    assert.deepStrictEqual([r?._tag, r?._tag === "Activate" ? [r.reason, r.trigger] : undefined], ["Activate", ["hold-timeout", 2]])
  })

  it("SIGTERM ends the wait with exit 0 and stops watching the held connection; SIGHUP is ignored", async () => {
    const f = started()
    const wait = f.start()
    f.arrive(conn(1))
    wait.signal("SIGHUP")
    assert.isUndefined(await settled(wait.result))
    wait.signal("SIGTERM")
    assert.deepStrictEqual(await settled(wait.result), { _tag: "Exit", code: 0, detail: "received SIGTERM before activation" })
    assert.deepStrictEqual([f.stopped, f.closed(), vi.getTimerCount()], [[1], true, 0], "watch, hold timer and classifier stopped")
  })

  it("probe handling off: the first connection activates, unclassified", async () => {
    const f = started({ ...probePolicy, handleTcpProbe: false })
    const wait = f.start()
    f.arrive(conn(1))
    const r = await settled(wait.result)
    assert.deepStrictEqual(r?._tag === "Activate" ? [r.reason, r.trigger] : r, ["connection", 1])
    assert.strictEqual(f.watching.size, 0)
  })

  it("stop gives up the wait: watches, hold timers and the classifier stop, later events are ignored", async () => {
    const f = started()
    const wait = f.start(1000)
    f.arrive(conn(1))
    assert.strictEqual(vi.getTimerCount(), 1, "the hold timer")
    wait.stop()
    assert.deepStrictEqual([f.stopped, f.closed(), vi.getTimerCount()], [[1], true, 0])
    f.arrive(conn(2))
    wait.signal("SIGTERM")
    await vi.advanceTimersByTimeAsync(2000)
    assert.isUndefined(await settled(wait.result))
    assert.strictEqual(f.watching.size, 1, "connection 2 was never watched")
  })

  it("a classifier failure or a listener failure activates (fail open)", async () => {
    const f = started()
    const wait = f.start()
    f.arrive(conn(1))
    f.verdict(1, { _tag: "Failed", detail: "cannot read /proc/self/net/tcp" })
    const r = await settled(wait.result)
    assert.deepStrictEqual(r?._tag === "Activate" ? [r.reason, r.detail] : r, ["error", "classifier: cannot read /proc/self/net/tcp"])

    const g = started()
    const other = g.start()
    g.failListener("tcp listener: EMFILE")
    const s = await settled(other.result)
    assert.deepStrictEqual(s?._tag === "Activate" ? [s.reason, s.detail] : s, ["error", "tcp listener: EMFILE"])
  })

  it("a unix connection activates at once, without being classified", async () => {
    const f = started()
    const wait = f.start()
    f.arrive(conn(1, "unix"))
    const r = await settled(wait.result)
    assert.deepStrictEqual(r?._tag === "Activate" ? [r.reason, r.trigger] : r, ["unix-connection", 1])
    assert.strictEqual(f.watching.size, 0)
  })
})

const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
const row = (inode: number, state: string, rx: number) =>
  `   0: 0100007F:1FBE 0100007F:D2F0 ${state} 00000000:${rx.toString(16).padStart(8, "0")} 00:00000000 00000000     0        0 ${inode} 1 0 20 4 30 10 -1\n`

describe("idle /proc classifier", () => {
  const fakeProc = (text: { value: string }) => {
    let reads = 0
    return {
      reads: () => reads,
      sources: { readTables: async () => (reads++, [text.value, header]), inodeOf: (fd: number) => fd }
    }
  }
  const watch = (c: IdleClassifier, fd: number) => {
    const out: Array<Verdict> = []
    c.watch({ id: fd, fd, socket: {} as Net.Socket }, (v) => void out.push(v))
    return out
  }

  it("one read per tick serves every held connection; nothing is read while nothing is held", async () => {
    const text = { value: header + row(11, "08", 1) + row(12, "01", 5) + row(13, "01", 0) }
    const p = fakeProc(text)
    const c = procNetClassifier(p.sources)
    await vi.advanceTimersByTimeAsync(1000)
    assert.strictEqual(p.reads(), 0)
    const a = watch(c, 11), b = watch(c, 12), idle = watch(c, 13)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepStrictEqual([a, b, idle], [[Classification.Closed()], [Classification.Data({ bytes: 5 })], []])
    assert.strictEqual(p.reads(), 1)
    c.close()
  })

  it("backs off 1, 2, 4 … ms up to the cap, restarts at 1 ms for a new connection, and sees a reset", async () => {
    const text = { value: header + row(21, "01", 0) + row(22, "01", 0) }
    const p = fakeProc(text)
    const c = procNetClassifier(p.sources, 1, 8)
    const first = watch(c, 21)
    // Reads at 1, 3, 7, 15, 23, 31 ms (delays 1, 2, 4, 8, 8, 8).
    await vi.advanceTimersByTimeAsync(1)
    assert.strictEqual(p.reads(), 1)
    await vi.advanceTimersByTimeAsync(6)
    assert.strictEqual(p.reads(), 3)
    await vi.advanceTimersByTimeAsync(24)
    assert.strictEqual(p.reads(), 6)
    watch(c, 22)
    await vi.advanceTimersByTimeAsync(1)
    assert.strictEqual(p.reads(), 7, "a new connection is looked at 1 ms later, not after the 8 ms backoff")
    text.value = header + row(22, "01", 0) // 21's row disappears: the client reset the connection
    await vi.advanceTimersByTimeAsync(2)
    assert.deepStrictEqual(first, [Classification.Closed()])
    c.close()
  })

  it("a table read failure fails every pending connection", async () => {
    const c = procNetClassifier({ readTables: () => Promise.reject(new Error("cannot read /proc/self/net/tcp")), inodeOf: (fd) => fd })
    const a = watch(c, 31), b = watch(c, 32)
    await vi.advanceTimersByTimeAsync(1)
    assert.deepStrictEqual([a, b], [[{ _tag: "Failed", detail: "cannot read /proc/self/net/tcp" }], [{ _tag: "Failed", detail: "cannot read /proc/self/net/tcp" }]])
  })
})
