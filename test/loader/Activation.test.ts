/** The in-process wait (the idle driver run as an Effect) over fake sockets and a fake classifier. */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Logger, LogLevel, Metric, Queue } from "effect"
import { waitForActivation } from "../../src/layers/loader/Activation.js"
import * as Metrics from "../../src/services/loader/Metrics.js"
import { Classification } from "../../src/services/loader/Policy.js"
import { conn, fakes, probePolicy } from "./idleFakes.js"

/** Node timers pending in this process (the hold timers among them). */
const pendingTimers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length

const setup = Effect.gen(function*() {
  const watched = yield* Deferred.make<number>()
  const f = fakes((id) => Deferred.unsafeDone(watched, Effect.succeed(id)))
  const signals = yield* Queue.unbounded<string>()
  const wait = waitForActivation({ holder: f.holder, classifier: f.classifier, signals, policy: probePolicy, holdTimeoutMs: 60_000 })
  return { ...f, watched, signals, wait }
})

describe("in-process wait", () => {
  it.live("interrupted while a connection is held: its watch and hold timer stop, the classifier closes", () =>
    Effect.gen(function*() {
      const t = yield* setup
      const before = pendingTimers()
      const fiber = yield* Effect.fork(t.wait)
      t.arrive(conn(1))
      assert.strictEqual(yield* Deferred.await(t.watched), 1)
      assert.strictEqual(pendingTimers(), before + 1, "the hold timer is pending")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual([t.stopped, t.closed(), pendingTimers()], [[1], true, before])
      assert.deepStrictEqual(t.dropped, [], "the held connection is its owner's to close")
    }))

  it.live("a signal from the queue ends the wait: SIGHUP is ignored, SIGTERM exits 0", () =>
    Effect.gen(function*() {
      const t = yield* setup
      const fiber = yield* Effect.fork(t.wait)
      t.arrive(conn(1))
      yield* Deferred.await(t.watched)
      yield* Queue.offerAll(t.signals, ["SIGHUP", "SIGTERM"])
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual(r, { _tag: "Exit", code: 0, detail: "received SIGTERM before activation" })
      assert.deepStrictEqual([t.stopped, t.closed()], [[1], true])
    }))

  it.live("activates with the trigger after dropping probes, and counts both", () =>
    Effect.gen(function*() {
      const absorbed = (yield* Metric.value(Metrics.probesAbsorbed)).count
      const byData = Metric.tagged(Metrics.activations, "reason", "data")
      const activations = (yield* Metric.value(byData)).count
      const t = yield* setup
      const fiber = yield* Effect.fork(t.wait)
      t.arrive(conn(1))
      yield* Deferred.await(t.watched)
      t.verdict(1, Classification.Closed())
      t.arrive(conn(2))
      t.verdict(2, Classification.Data({ bytes: 3 }))
      const r = yield* Fiber.join(fiber)
      assert.deepStrictEqual(r._tag === "Activate" ? [r.reason, r.trigger, r.absorbed] : r, ["data", 2, 1])
      assert.deepStrictEqual(t.dropped, [1])
      assert.strictEqual((yield* Metric.value(Metrics.probesAbsorbed)).count - absorbed, 1)
      assert.strictEqual((yield* Metric.value(byData)).count - activations, 1)
    }))

  it.live("the driver's debug lines reach Effect's logger in order, all of them by the time the wait returns", () =>
    Effect.gen(function*() {
      const logged: Array<string> = []
      const t = yield* setup
      const fiber = yield* Effect.fork(
        t.wait.pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => {
            logged.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
          }))),
          Logger.withMinimumLogLevel(LogLevel.Debug)
        )
      )
      t.arrive(conn(1))
      yield* Deferred.await(t.watched)
      t.verdict(1, Classification.Closed())
      t.arrive(conn(2))
      t.verdict(2, Classification.Data({ bytes: 3 }))
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(logged, [
        "DEBUG Accepted connection on tcp listener: 101",
        "DEBUG TCP client closed connection, closing file descriptor 101",
        "DEBUG Accepted connection on tcp listener: 102"
      ])
    }))
})
