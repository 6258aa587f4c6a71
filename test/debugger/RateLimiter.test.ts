import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import type { Probe } from "../../src/services/debugger/CaptureEvent.js"
import { makeProbeRateLimiter } from "../../src/services/debugger/RateLimiter.js"
import { takeToken } from "../../src/services/debugger/TokenBucket.js"

const probe = (over: Partial<Probe> = {}): Probe => ({ id: "p", version: 1, location: {}, ...over })

/** Allowed decisions for one call per `stepMs`, `n` times, starting at the current TestClock time. */
const pattern = (p: Probe, n: number, stepMs: number) =>
  Effect.gen(function*() {
    const limiter = yield* makeProbeRateLimiter()
    const out: Array<boolean> = []
    for (let i = 0; i < n; i++) {
      out.push(yield* limiter.allow(p))
      yield* TestClock.adjust(stepMs)
    }
    return out
  })

describe("per-probe rate limits", () => {
  it.effect("snapshot probes default to 1/s", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* pattern(probe(), 6, 500), [true, false, true, false, true, false])
    }))

  it.effect("a fractional rate of 0.5/s lets one event through every 2 s", () =>
    Effect.gen(function*() {
      const p = probe({ sampling: { snapshotsPerSecond: 0.5 } })
      assert.deepStrictEqual(yield* pattern(p, 6, 1000), [true, false, true, false, true, false])
    }))

  it.effect("log probes default to 5000/s", () =>
    Effect.gen(function*() {
      const limiter = yield* makeProbeRateLimiter()
      const p = probe({ captureSnapshot: false })
      let allowed = 0
      for (let i = 0; i < 5001; i++) if (yield* limiter.allow(p)) allowed++
      assert.strictEqual(allowed, 5000)
      yield* TestClock.adjust(1)
      assert.isTrue(yield* limiter.allow(p)) // 5 tokens refilled in 1 ms
    }))

  it.effect("keeps one bucket per probe", () =>
    Effect.gen(function*() {
      const limiter = yield* makeProbeRateLimiter()
      assert.isTrue(yield* limiter.allow(probe({ id: "a" })))
      assert.isTrue(yield* limiter.allow(probe({ id: "b" })))
      assert.isFalse(yield* limiter.allow(probe({ id: "a" })))
    }))

  it("never banks more than one second of tokens", () => {
    const [, b] = takeToken(undefined, 0, 2)
    const [, later] = takeToken(b, 60_000, 2)
    assert.strictEqual(later.tokens, 1) // capacity 2, one just taken
  })
})
