import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref, TestClock } from "effect"
import { makeProcNetClassifier } from "../../src/layers/loader/ProcNetClassifier.js"
import { ClassifierError } from "../../src/services/loader/errors.js"

const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
const row = (inode: number, state: string, rx: number) =>
  `   0: 0100007F:1FBE 0100007F:D2F0 ${state} 00000000:${rx.toString(16).padStart(8, "0")} 00:00000000 00000000     0        0 ${inode} 1 0 20 4 30 10 -1\n`

const makeFakeProc = Effect.gen(function*() {
  const text = yield* Ref.make(header)
  const reads = yield* Ref.make(0)
  const broken = yield* Ref.make(false)
  const readTables = Effect.gen(function*() {
    yield* Ref.update(reads, (n) => n + 1)
    if (yield* Ref.get(broken)) return yield* new ClassifierError({ message: "cannot read /proc/self/net/tcp" })
    return [yield* Ref.get(text), header]
  })
  return { text, reads, broken, readTables, inodeOf: (fd: number) => Effect.succeed(fd) }
})

describe("/proc classifier", () => {
  it.scoped("one table read per tick serves every held connection", () =>
    Effect.gen(function*() {
      const p = yield* makeFakeProc
      yield* Ref.set(p.text, header + row(11, "08", 1) + row(12, "01", 5) + row(13, "01", 0))
      const c = yield* makeProcNetClassifier(p)
      const a = yield* Effect.fork(c.classify({ id: 1, fd: 11 }))
      const b = yield* Effect.fork(c.classify({ id: 2, fd: 12 }))
      const idle = yield* Effect.fork(c.classify({ id: 3, fd: 13 }))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Fiber.join(a))._tag, "Closed")
      assert.deepStrictEqual(yield* Fiber.join(b), { _tag: "Data", bytes: 5 })
      assert.strictEqual(yield* Ref.get(p.reads), 1)
      assert.strictEqual((yield* Fiber.poll(idle))._tag, "None")
      yield* Fiber.interrupt(idle)
    }))

  it.scoped("backs off 1, 2, 4 … ms up to the cap while a connection stays silent, then sees its reset", () =>
    Effect.gen(function*() {
      const p = yield* makeFakeProc
      yield* Ref.set(p.text, header + row(21, "01", 0))
      const c = yield* makeProcNetClassifier({ ...p, maxDelay: "8 millis" })
      const f = yield* Effect.fork(c.classify({ id: 1, fd: 21 }))
      // Reads at 1, 3, 7, 15, 23, 31 ms (delays 1, 2, 4, 8, 8, 8).
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Ref.get(p.reads), 1)
      yield* TestClock.adjust("6 millis")
      assert.strictEqual(yield* Ref.get(p.reads), 3)
      yield* TestClock.adjust("24 millis")
      assert.strictEqual(yield* Ref.get(p.reads), 6)
      yield* Ref.set(p.text, header) // the row disappears: the client reset the connection
      yield* TestClock.adjust("8 millis")
      assert.strictEqual((yield* Fiber.join(f))._tag, "Closed")
    }))

  it.scoped("a new connection restarts the backoff; nothing is read while nothing is held", () =>
    Effect.gen(function*() {
      const p = yield* makeFakeProc
      yield* Ref.set(p.text, header + row(31, "01", 0) + row(32, "01", 9))
      const c = yield* makeProcNetClassifier(p)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Ref.get(p.reads), 0)
      const f = yield* Effect.fork(c.classify({ id: 1, fd: 31 }))
      yield* TestClock.adjust("100 millis") // delays 1+2+4+8+16+32 = 63 → next read at 127
      const before = yield* Ref.get(p.reads)
      const g = yield* Effect.fork(c.classify({ id: 2, fd: 32 }))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Ref.get(p.reads), before + 1)
      assert.deepStrictEqual(yield* Fiber.join(g), { _tag: "Data", bytes: 9 })
      yield* Fiber.interrupt(f)
    }))

  it.scoped("a table read failure fails every pending classification", () =>
    Effect.gen(function*() {
      const p = yield* makeFakeProc
      yield* Ref.set(p.broken, true)
      const c = yield* makeProcNetClassifier(p)
      const f = yield* Effect.fork(Effect.either(c.classify({ id: 1, fd: 41 })))
      yield* TestClock.adjust("1 millis")
      const r = yield* Fiber.join(f)
      assert.strictEqual(r._tag, "Left")
    }))
})
