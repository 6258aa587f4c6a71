import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Queue, Ref, TestClock } from "effect"
import type * as Net from "node:net"
import { type DriverOptions, waitForActivation } from "../../src/layers/loader/Activation.js"
import { ListenerEvent } from "../../src/layers/loader/Listeners.js"
import { Classification, type ListenerKind } from "../../src/services/loader/Policy.js"
import { ClassifierError } from "../../src/services/loader/errors.js"

const accepted = (id: number, listener: ListenerKind = "tcp") =>
  ListenerEvent.Accepted({ conn: { id, listener, fd: 100 + id, socket: {} as Net.Socket } })

/** A fake world: the test decides each connection's verdict through a Deferred. */
const makeFakes = Effect.gen(function*() {
  const events = yield* Queue.bounded<ListenerEvent>(16)
  const signals = yield* Queue.bounded<string>(4)
  const dropped = yield* Ref.make<Array<number>>([])
  const watching = yield* Ref.make<Array<number>>([])
  const interrupted = yield* Ref.make<Array<number>>([])
  const verdicts = new Map<number, Deferred.Deferred<Classification, ClassifierError>>()
  let overflowed = 0
  const verdict = (id: number) =>
    Effect.gen(function*() {
      const existing = verdicts.get(id)
      if (existing) return existing
      const d = yield* Deferred.make<Classification, ClassifierError>()
      verdicts.set(id, d)
      return d
    })
  const options = (over: Partial<DriverOptions> = {}): DriverOptions => ({
    source: { events, overflowed: () => overflowed, drop: (id) => Ref.update(dropped, (xs) => [...xs, id]) },
    classifier: {
      classify: (conn) =>
        Effect.gen(function*() {
          yield* Ref.update(watching, (xs) => [...xs, conn.id])
          return yield* Deferred.await(yield* verdict(conn.id))
        }).pipe(Effect.onInterrupt(() => Ref.update(interrupted, (xs) => [...xs, conn.id])))
    },
    signals,
    policy: { handleTcpProbe: true, maxHeld: 4, secondClientActivates: false },
    holdTimeout: "30 seconds",
    ...over
  })
  const decide = (id: number, c: Classification) =>
    verdict(id).pipe(Effect.flatMap((d) => Deferred.succeed(d, c)))
  return {
    events,
    signals,
    dropped,
    watching,
    interrupted,
    options,
    decide,
    overflow: () => void overflowed++,
    fail: (id: number) =>
      verdict(id).pipe(Effect.flatMap((d) => Deferred.fail(d, new ClassifierError({ message: "no table" }))))
  }
})

describe("activation driver", () => {
  it.scoped("drops probes, then activates on data with the trigger and probe count", () =>
    Effect.gen(function*() {
      const f = yield* makeFakes
      const fiber = yield* Effect.fork(waitForActivation(f.options()))
      yield* Queue.offer(f.events, accepted(1))
      yield* f.decide(1, Classification.Closed())
      yield* Queue.offer(f.events, accepted(2))
      yield* Queue.offer(f.events, accepted(3))
      yield* TestClock.adjust("1 second")
      yield* f.decide(3, Classification.Data({ bytes: 42 }))
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r._tag, "Activate")
      if (r._tag === "Activate") {
        assert.strictEqual(r.reason, "data")
        assert.strictEqual(r.trigger, 3)
        assert.strictEqual(r.absorbed, 1)
        assert.strictEqual(r.waitedMs, 1000)
      }
      assert.deepStrictEqual(yield* Ref.get(f.dropped), [1])
      // The still-idle connection 2 stopped being watched when the driver finished.
      assert.deepStrictEqual(yield* Ref.get(f.interrupted), [2])
    }))

  it.scoped("a silent connection activates after the hold timeout, not before", () =>
    Effect.gen(function*() {
      const f = yield* makeFakes
      const fiber = yield* Effect.fork(waitForActivation(f.options({ holdTimeout: "5 seconds" })))
      yield* Queue.offer(f.events, accepted(1))
      yield* TestClock.adjust("4999 millis")
      assert.isNull(yield* Fiber.poll(fiber).pipe(Effect.map((o) => (o._tag === "Some" ? o.value : null))))
      yield* TestClock.adjust("1 millis")
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r._tag === "Activate" ? r.reason : r._tag, "hold-timeout")
    }))

  it.scoped("a unix connection activates without classification", () =>
    Effect.gen(function*() {
      const f = yield* makeFakes
      const fiber = yield* Effect.fork(waitForActivation(f.options()))
      yield* Queue.offer(f.events, accepted(1, "unix"))
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r._tag === "Activate" ? r.reason : r._tag, "unix-connection")
      assert.deepStrictEqual(yield* Ref.get(f.watching), [])
    }))

  it.scoped("a classifier error, a listener failure or a full event queue activates", () =>
    Effect.gen(function*() {
      const f1 = yield* makeFakes
      const a = yield* Effect.fork(waitForActivation(f1.options()))
      yield* Queue.offer(f1.events, accepted(1))
      yield* TestClock.adjust("1 millis")
      yield* f1.fail(1)
      const r1 = yield* Fiber.join(a)
      assert.strictEqual(r1._tag === "Activate" ? r1.reason : r1._tag, "error")

      const f2 = yield* makeFakes
      const b = yield* Effect.fork(waitForActivation(f2.options()))
      yield* Queue.offer(f2.events, ListenerEvent.ListenerFailed({ detail: "tcp listener: EMFILE" }))
      const r2 = yield* Fiber.join(b)
      assert.strictEqual(r2._tag === "Activate" ? r2.detail : r2._tag, "tcp listener: EMFILE")

      const f3 = yield* makeFakes
      f3.overflow()
      const c = yield* Effect.fork(waitForActivation(f3.options()))
      yield* Queue.offer(f3.events, accepted(1))
      const r3 = yield* Fiber.join(c)
      assert.strictEqual(r3._tag === "Activate" ? r3.reason : r3._tag, "error")
    }))

  it.scoped("SIGTERM before activation ends the wait with exit 0; SIGHUP does not", () =>
    Effect.gen(function*() {
      const f = yield* makeFakes
      const fiber = yield* Effect.fork(waitForActivation(f.options()))
      yield* Queue.offer(f.events, accepted(1))
      yield* Queue.offer(f.signals, "SIGHUP")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Fiber.poll(fiber))._tag, "None")
      yield* Queue.offer(f.signals, "SIGTERM")
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual(r, { _tag: "Exit", code: 0, detail: "received SIGTERM before activation" })
      assert.deepStrictEqual(yield* Ref.get(f.interrupted), [1])
    }))

  it.scoped("probe handling off: the first connection activates", () =>
    Effect.gen(function*() {
      const f = yield* makeFakes
      const fiber = yield* Effect.fork(
        waitForActivation(f.options({ policy: { handleTcpProbe: false, maxHeld: 4, secondClientActivates: false } }))
      )
      yield* Queue.offer(f.events, accepted(1))
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r._tag === "Activate" ? r.reason : r._tag, "connection")
    }))
})
