import { assert, describe, it } from "@effect/vitest"
import { Duration, Either } from "effect"
import { parseInterval } from "../../src/programs/processes.js"

describe("dd-agent processes watch --interval", () => {
  it("accepts a number with a unit (seconds when none)", () => {
    const ms = (t: string) => Either.map(parseInterval(t), Duration.toMillis)
    assert.deepStrictEqual(ms("500ms"), Either.right(500))
    assert.deepStrictEqual(ms("250 millis"), Either.right(250))
    assert.deepStrictEqual(ms("2s"), Either.right(2000))
    assert.deepStrictEqual(ms("1.5 seconds"), Either.right(1500))
    assert.deepStrictEqual(ms("3"), Either.right(3000))
    assert.deepStrictEqual(ms("1m"), Either.right(60_000))
    assert.deepStrictEqual(ms("2 minutes"), Either.right(120_000))
  })

  it("names the input and the rule it broke", () => {
    const bad = parseInterval("fast")
    assert.isTrue(Either.isLeft(bad) && bad.left.includes(`"fast"`) && bad.left.includes("unit"))
    const tooShort = parseInterval("5ms")
    assert.isTrue(Either.isLeft(tooShort) && tooShort.left.includes("at least 10ms"))
  })
})
