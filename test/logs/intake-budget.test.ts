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
