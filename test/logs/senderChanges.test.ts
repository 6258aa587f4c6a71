/** The sender's status as a stream: every worker's, at once and after each change (wait on it, never poll). */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Stream } from "effect"
import { makeFakeTransport } from "../../src/layers/logs/FakeStreamTransport.js"
import { makeSender, type SenderStatus } from "../../src/services/logs/Sender.js"
import { config, makeLogs } from "./helpers.js"

const acked = (st: SenderStatus) => st.reduce((n, w) => n + w.logsAcked, 0)

describe("LogsSender.changes", () => {
  it.scopedLive("starts with every worker's status and follows their acknowledgements", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeTransport({ autoAck: true })
      const sender = yield* makeSender(config({ workers: 2, batchMaxEntries: 10 })).pipe(Effect.provide(fake.layer))
      const first = yield* Stream.runHead(sender.changes)
      assert.deepStrictEqual(Option.map(first, (st) => [st.map((w) => w.worker), acked(st)]), Option.some([[0, 1], 0]))
      // One chunk per worker (round-robin); the acknowledgements arrive as status changes, with no clock involved.
      yield* sender.send(makeLogs(10))
      yield* sender.send(makeLogs(10, 10))
      const done = yield* sender.changes.pipe(
        Stream.filter((st) => acked(st) === 20),
        Stream.runHead,
        Effect.timeout("5 seconds")
      )
      assert.deepStrictEqual(Option.map(done, (st) => st.map((w) => w.logsAcked)), Option.some([10, 10]))
    }))
})
