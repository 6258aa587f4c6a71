import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted } from "effect"
import { layerGrpcStreamTransport } from "../../src/layers/logs/GrpcStreamTransport.js"
import { MemoryIntakeOutput } from "../../src/layers/logs/IntakeOutputLive.js"
import { IntakeServer, layerIntakeServer } from "../../src/layers/logs/IntakeServer.js"
import type { LogMessage } from "../../src/services/logs/LogMessage.js"
import { makeSender } from "../../src/services/logs/Sender.js"
import { config } from "./helpers.js"

const KEY = "chaos-key"
const LINES = 200_000

/** A seeded PRNG so a failing run can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed * 1664525 + 1013904223) >>> 0
  return seed / 4294967296
}

// Raw content and pattern extraction both meet the faults: every replay must find the patterns it references.
describe.each([false, true])("chaos (patterns: %s)", (patternExtraction) => {
  it.scopedLive(`${LINES} lines through random resets and ack delays, then shutdown mid-flight: counts are exact`, () =>
    Effect.gen(function*() {
      const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000)
      const rnd = prng(seed)
      const faults = { resetAfterBatches: 5 + Math.floor(rnd() * 20), resets: 3 + Math.floor(rnd() * 6), ackDelayMs: 1 + Math.floor(rnd() * 4) }
      const output = yield* MemoryIntakeOutput.make
      const ctx = yield* Layer.build(
        layerIntakeServer({ host: "127.0.0.1", port: 0, apiKey: Redacted.make(KEY), faults }).pipe(Layer.provide(output.layer))
      )
      const port = (ctx.unsafeMap.get(IntakeServer.key) as IntakeServer["Type"]).port

      const tags = [["env:chaos", "team:a"], ["env:chaos", "team:b"], []] as const
      const lines: Array<LogMessage> = Array.from({ length: LINES }, (_, i) => ({
        content: `chaos line ${i} ${"x".repeat(i % 50)}`,
        timestamp: 1_700_000_000_000 + i,
        tags: tags[i % 3]!,
        status: i % 11 === 0 ? "warn" : undefined
      }))

      const c = config({
        encoding: "identity",
        patternExtraction,
        batchMaxEntries: 1_000,
        batchMaxWaitMs: 50,
        halfCloseGraceMs: 500,
        machine: { backoffBaseMs: 10, backoffMaxMs: 100, shutdownTimeoutMs: 150 }
      })
      const { report, accepted } = yield* Effect.gen(function*() {
        const sender = yield* makeSender(c)
        let accepted = 0
        const producer = yield* Effect.fork(Effect.gen(function*() {
          for (let i = 0; i < LINES; i += 2_000) {
            yield* sender.send(lines.slice(i, i + 2_000))
            accepted = Math.min(LINES, i + 2_000)
          }
        }).pipe(Effect.catchTag("SenderStopped", () => Effect.void)))
        // Mid-flight: once part of the stream has reached the intake, stop with a short deadline.
        yield* output.awaitCount(LINES / 3)
        const report = yield* sender.shutdown
        yield* Fiber.join(producer)
        return { report, accepted }
      }).pipe(
        Effect.scoped,
        Effect.provide(layerGrpcStreamTransport({ host: "127.0.0.1", port, apiKey: Redacted.make(KEY), insecure: true, encoding: "identity" }))
      )

      const info = `seed ${seed}, faults ${JSON.stringify(faults)}, report ${JSON.stringify({ ...report, workers: undefined })}, accepted ${accepted}`
      if (process.env.CHAOS_VERBOSE) console.log(info)
      // Exact accounting: every accepted line is either acknowledged or reported unacknowledged.
      assert.strictEqual(report.acked + report.unacked + report.rejected, accepted, info)
      assert.strictEqual(report.rejected, 0, info)
      assert.isAtLeast(report.acked, LINES / 3 - 1_000, info)
      // One worker acks in FIFO order: the first `acked` lines are exactly the acknowledged ones.
      const seen = new Set((yield* output.all).map((r) => r.message))
      for (let i = 0; i < report.acked; i++) {
        if (!seen.has(lines[i]!.content)) assert.fail(`acknowledged line ${i} is missing from the intake output (${info})`)
      }
    }), { timeout: 60_000 })
})
