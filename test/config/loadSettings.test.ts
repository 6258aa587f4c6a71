import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { loadSettings } from "../../src/layers/agent/loadSettings.js"

describe("loadSettings (the one validation of run and config check)", () => {
  it.effect("a duration the sender would round to zero is refused at load, naming the variable that set it", () =>
    Effect.gen(function*() {
      const ok = yield* loadSettings(Option.none(), { DD_LOGS_CONFIG_BATCH_WAIT: "0.001" })
      assert.strictEqual(ok.logs.sender.batchMaxWaitMs, 1)
      const refused = yield* Effect.flip(loadSettings(Option.none(), { DD_LOGS_CONFIG_BATCH_WAIT: "0.0004" }))
      assert.strictEqual(refused._tag, "ConfigError")
      assert.include(refused.message, "env DD_LOGS_CONFIG_BATCH_WAIT: logs_config.batch_wait")
    }))
})
