import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Clock, Effect, Either, Exit, Fiber, Layer, Queue, Redacted, Scope, Stream, SubscriptionRef, TestClock } from "effect"
import { AgentComponents } from "../../src/layers/agent/AgentComponents.js"
import * as LogsComponent from "../../src/layers/agent/LogsComponent.js"
import { layerRegistryStore } from "../../src/layers/inputs/RegistryStore.js"
import { decodeAgentConfig } from "../../src/services/config/decodeConfig.js"
import { resolveSettings } from "../../src/services/config/AgentSettings.js"
import type { SourcePosition } from "../../src/services/logs/LogMessage.js"
import { LogsSender, type SendReport, summarize } from "../../src/services/logs/Sender.js"
import { workerStatus } from "../logs/helpers.js"

/** Shutdown timeout 10 s; no inputs (the sender's shutdown is what the test controls). */
const settings = (registry: string) => {
  const config = decodeAgentConfig(
    `logs_config:\n  shutdown_timeout: 10\n  registry_path: ${registry}\nprocess_config:\n  enabled: false\n`,
    "(test)",
    {}
  )
  if (Either.isLeft(config)) throw new Error(config.left.message)
  return resolveSettings(config.right)
}


const report = (acked: number, unacked: number): SendReport =>
  summarize([{ acked, unacked, rejected: 0, reason: unacked === 0 ? "drained" : "deadline" } as SendReport["workers"][number]])

/**
 * Runs the logs component over a sender whose shutdown acknowledges one log per second for `ackSeconds`
 * seconds (then finishes), or never finishes when `stall`; stops it, lets `during` act while it stops (given the
 * acknowledged count), then advances the clock a second at a time until the stop is done, and returns the
 * recorded outcome and when the stop ended.
 */
const stopWith = (
  sender: { readonly ackSeconds: number; readonly stall: boolean },
  during: (acked: SubscriptionRef.SubscriptionRef<number>) => Effect.Effect<void> = () => Effect.void
) =>
  Effect.gen(function*() {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "logs-stop-"))
    const acked = yield* SubscriptionRef.make(0)
    const acknowledged = yield* Queue.bounded<SourcePosition>(16)
    const fake = LogsSender.of({
      send: () => Effect.void,
      acknowledged,
      shutdown: sender.stall
        ? Effect.never
        : Effect.sleep("1 second").pipe(
          Effect.zipRight(SubscriptionRef.update(acked, (n) => n + 1)),
          Effect.repeatN(sender.ackSeconds - 1),
          Effect.zipRight(Effect.map(SubscriptionRef.get(acked), (n) => report(n, 0)))
        ),
      abort: Effect.map(SubscriptionRef.get(acked), (n) => report(n, 100 - n)),
      status: Effect.map(SubscriptionRef.get(acked), (n) => [workerStatus({ logsAcked: n })]),
      changes: Stream.map(acked.changes, (n) => [workerStatus({ logsAcked: n })])
    })
    const components = yield* AgentComponents.make
    const endpoint = Layer.succeed(LogsComponent.LogsEndpoint, { host: "127.0.0.1", port: 1, apiKey: Redacted.make("k"), insecure: true, embedded: undefined })
    const scope = yield* Scope.make()
    yield* Layer.buildWithScope(
      LogsComponent.layerOver(settings(Path.join(dir, "registry.json"))).pipe(
        Layer.provide(Layer.mergeAll(Layer.succeed(LogsSender, fake), layerRegistryStore(Path.join(dir, "registry.json")), endpoint)),
        Layer.provide(Layer.succeed(AgentComponents, components))
      ),
      scope
    )
    const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
    yield* during(acked)
    for (let s = 0; s < 60 && closing.unsafePoll() === null; s++) yield* TestClock.adjust("1 second")
    yield* Fiber.join(closing)
    const stoppedAfterMs = yield* Clock.currentTimeMillis
    Fs.rmSync(dir, { recursive: true, force: true })
    return { outcome: (yield* components.outcomes).get("logs"), stoppedAfterMs }
  })

describe("logs component stop", () => {
  it.scoped("a slow intake that keeps acknowledging gets everything, past the shutdown timeout", () =>
    Effect.gen(function*() {
      // 30 s of acknowledgements, one a second: three times the 10 s shutdown timeout, never 10 s without one.
      const { outcome } = yield* stopWith({ ackSeconds: 30, stall: false })
      assert.strictEqual(outcome?.complete, true)
      assert.strictEqual((outcome?.summary as SendReport).acked, 30)
    }))

  it.scoped("a stalled intake is cut after the shutdown timeout without progress; the unacknowledged logs are reported", () =>
    Effect.gen(function*() {
      const { outcome, stoppedAfterMs } = yield* stopWith({ ackSeconds: 0, stall: true })
      assert.strictEqual(outcome?.complete, false)
      // The shutdown timeout (10 s) plus the stop's slack (5 s) after the stop began.
      assert.strictEqual(stoppedAfterMs, 15_000)
      assert.strictEqual((outcome?.summary as SendReport).unacked, 100)
    }))

  it.scoped("an acknowledgement restarts the stop's quiet deadline when it happens, not at a later check", () =>
    Effect.gen(function*() {
      // Quiet for 14 s, one acknowledgement at 14 s (no clock advance to see it), then quiet: cut 15 s after it.
      const { outcome, stoppedAfterMs } = yield* stopWith({ ackSeconds: 0, stall: true }, (acked) =>
        Effect.gen(function*() {
          yield* TestClock.adjust("14 seconds")
          yield* SubscriptionRef.update(acked, (n) => n + 1)
        }))
      assert.strictEqual(outcome?.complete, false)
      assert.strictEqual(stoppedAfterMs, 29_000)
      assert.strictEqual((outcome?.summary as SendReport).acked, 1)
    }))
})
