import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Either, Layer } from "effect"
import { makeFakeTransport } from "../../src/layers/logs/FakeStreamTransport.js"
import { layerConfig } from "../../src/layers/logs/SenderLive.js"
import { LogsSender } from "../../src/services/logs/Sender.js"
import { decodeSenderConfig, defaultSenderConfig } from "../../src/services/logs/SenderConfig.js"

describe("sender settings", () => {
  it("apply the defaults, nested ones included, and keep what is given", () => {
    const c = decodeSenderConfig({ workers: 3, machine: { shutdownTimeoutMs: 500 } })
    assert.isTrue(Either.isRight(c))
    if (Either.isRight(c)) {
      assert.deepStrictEqual(c.right, { ...defaultSenderConfig, workers: 3, machine: { ...defaultSenderConfig.machine, shutdownTimeoutMs: 500 } })
    }
  })

  it("refuse a broken rule with a typed error naming the setting", () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ workers: 0 }, "workers: expected a positive integer"],
      [{ compressionLevel: 23 }, "compressionLevel:"],
      [{ machine: { lifetimeJitter: 1 } }, "machine.lifetimeJitter:"],
      [{ machine: { backoffBaseMs: 10, backoffMaxMs: 5 } }, "machine.backoffMaxMs: must be >= backoffBaseMs"],
      [{ encoding: "gzip" }, "encoding:"],
      [{ wrokers: 2 }, "wrokers: unknown setting"]
    ]
    for (const [input, expected] of cases) {
      const c = decodeSenderConfig(input as never)
      assert.isTrue(Either.isLeft(c) && c.left._tag === "SenderConfigError" && c.left.message.startsWith(expected), `${JSON.stringify(input)}: ${Either.isLeft(c) ? c.left.message : "accepted"}`)
    }
  })

  it.scoped("layerConfig builds the sender from Config values and fails on a broken one", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeTransport({ autoAck: true })
      const settings = { workers: Config.integer("WORKERS"), encoding: Config.literal("identity", "zstd")("ENCODING") }
      const run = (env: Record<string, string>) =>
        Effect.flatMap(LogsSender, (s) => s.status).pipe(
          Effect.provide(layerConfig(settings).pipe(Layer.provide(fake.layer))),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
        )
      assert.strictEqual((yield* run({ WORKERS: "2", ENCODING: "identity" })).length, 2)
      const failed = yield* Effect.flip(run({ WORKERS: "0", ENCODING: "identity" }))
      assert.strictEqual(failed._tag, "SenderConfigError")
    }))
})
