import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { makeIntakeBudget } from "../../src/layers/logs/IntakeBudget.js"

describe("intake memory budget", () => {
  it.effect("admits first come, first served while the total fits; an idle budget admits even an oversized batch", () =>
    Effect.gen(function*() {
      const budget = yield* makeIntakeBudget(100)
      const admitted: Array<string> = []
      yield* budget.admit(150, () => admitted.push("big")) // idle: admitted although over the budget
      const second = yield* Effect.fork(budget.admit(10, () => admitted.push("small")))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(admitted, ["big"])
      assert.deepStrictEqual(yield* budget.current, { bufferedBytes: 150, waitingBatches: 1 })
      yield* budget.decoded(150)
      yield* Fiber.join(second)
      assert.deepStrictEqual(admitted, ["big", "small"])
      assert.deepStrictEqual(yield* budget.current, { bufferedBytes: 10, waitingBatches: 0 })
    }))

  it.effect("over the budget all decoders but one pause between slices; the one left finishing wakes them", () =>
    Effect.gen(function*() {
      const budget = yield* makeIntakeBudget(100)
      yield* budget.admit(10, () => {})
      yield* budget.admit(10, () => {})
      yield* budget.grow(200) // both batches' logs push the total over the budget
      const first = yield* Effect.fork(budget.checkpoint)
      yield* Effect.yieldNow()
      // One decoder is paused; the other must not be, or neither could finish.
      assert.strictEqual((yield* budget.current).waitingBatches, 1)
      yield* budget.checkpoint
      yield* budget.decoded(10) // the second decoder finishes; its logs wait for the writer
      yield* budget.release(200) // written
      yield* Fiber.join(first)
      assert.deepStrictEqual(yield* budget.current, { bufferedBytes: 10, waitingBatches: 0 })
    }))

  it.effect("a stream holding nothing is admitted before batches queued earlier by streams that hold the budget", () =>
    Effect.gen(function*() {
      const budget = yield* makeIntakeBudget(100)
      const holds = [0, 0, 0]
      const admitted: Array<string> = []
      // Two bulky streams hold 80 of the 100 (their batches decoded, waiting to be written) and queue 30 more each.
      for (const s of [0, 1]) {
        yield* budget.admit(40, () => { holds[s]! += 40 }, () => holds[s]!)
        yield* budget.decoded(0)
      }
      const queued = yield* Effect.forEach([0, 1], (s) =>
        Effect.fork(budget.admit(30, () => admitted.push(`bulky ${s}`), () => holds[s]!)))
      const healthy = yield* Effect.fork(budget.admit(10, () => admitted.push("healthy"), () => holds[2]!))
      yield* Fiber.join(healthy)
      assert.deepStrictEqual(admitted, ["healthy"])
      // One bulky stream's batch is written: that stream now holds the least, and its queued batch fits.
      holds[0] = 0
      yield* budget.release(40)
      yield* Fiber.join(queued[0]!)
      assert.deepStrictEqual(admitted, ["healthy", "bulky 0"])
      assert.deepStrictEqual(yield* budget.current, { bufferedBytes: 80, waitingBatches: 1 })
      yield* Fiber.interrupt(queued[1]!)
    }))

  it.effect("a batch interrupted while waiting for admission leaves nothing reserved", () =>
    Effect.gen(function*() {
      const budget = yield* makeIntakeBudget(100)
      yield* budget.admit(90, () => {})
      let admitted = false
      const waiting = yield* Effect.fork(budget.admit(50, () => { admitted = true }))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiting)
      assert.isFalse(admitted)
      assert.deepStrictEqual(yield* budget.current, { bufferedBytes: 90, waitingBatches: 0 })
    }))
})
