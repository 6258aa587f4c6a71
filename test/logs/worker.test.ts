import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeFakeTransport } from "../../src/layers/logs/FakeStreamTransport.js"
import { makeStreamWorker } from "../../src/services/logs/StreamWorker.js"
import { config, makeLogs } from "./helpers.js"

describe("StreamWorker with the fake transport", () => {
  it.scoped("delivers logs byte-exact and acks them", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeTransport({ autoAck: true })
      const worker = yield* makeStreamWorker(config({ batchMaxEntries: 10 })).pipe(Effect.provide(fake.layer))
      const logs = makeLogs(95)
      yield* worker.offer(logs)
      const report = yield* worker.shutdown
      assert.deepStrictEqual(report, { worker: 0, acked: 95, unacked: 0, rejected: 0, reason: "drained", problem: undefined })
      const got = fake.received()
      assert.strictEqual(got.length, 95)
      got.forEach((g, i) => {
        assert.strictEqual(g.message, logs[i]!.content)
        assert.strictEqual(g.timestamp, logs[i]!.timestamp)
        assert.strictEqual(g.tags, logs[i]!.tags.join(","))
        assert.strictEqual(g.status, logs[i]!.status)
      })
      assert.deepStrictEqual(fake.streams.flatMap((s) => s.errors), [])
      assert.isTrue(fake.streams[0]!.halfClosed)
    }))
})
