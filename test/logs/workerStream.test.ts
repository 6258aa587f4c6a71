import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit } from "effect"
import { makeFakeTransport } from "../../src/layers/logs/FakeStreamTransport.js"
import { GrpcCode } from "../../src/services/logs/errors.js"
import { StreamTransport } from "../../src/services/logs/StreamTransport.js"
import { type LiveStream, runWorkerStream, type StreamMessage } from "../../src/services/logs/WorkerStream.js"

/** Stream 1 run by `runWorkerStream` over a fake transport, with what it posts recorded. */
const open = Effect.gen(function*() {
  const fake = yield* makeFakeTransport()
  const transport = yield* Effect.provide(StreamTransport, fake.layer)
  const posted: Array<StreamMessage> = []
  const live = new Map<number, LiveStream>()
  const opened = yield* Deferred.make<void>()
  const ended = yield* Deferred.make<void>()
  const post = (m: StreamMessage) => {
    posted.push(m)
    if (m._tag === "StreamOpened") Deferred.unsafeDone(opened, Exit.void)
    if (m._tag === "StreamFailed") Deferred.unsafeDone(ended, Exit.void)
  }
  yield* Effect.forkScoped(runWorkerStream(transport, 1, live, post, 100))
  yield* Deferred.await(opened)
  return { fake, stream: fake.streams[0]!, live, posted, ended }
})

describe("WorkerStream", () => {
  it.scoped("posts at most one acknowledgement more than the batches written: a flooding server cannot fill the mailbox", () =>
    Effect.gen(function*() {
      const { live, posted, stream } = yield* open
      // What the driver's write does for the snapshot and one data batch.
      live.get(1)!.written.n = 2
      for (let i = 0; i < 1_000; i++) stream.ack(i % 3)
      assert.deepStrictEqual(posted.filter((m) => m._tag === "Ack").map((m) => (m as { batchId: number }).batchId), [0, 1, 2])
    }))

  it.scoped("posts how the stream ended, and forgets its session", () =>
    Effect.gen(function*() {
      const { ended, live, posted, stream } = yield* open
      assert.isTrue(live.has(1))
      stream.end(GrpcCode.UNAVAILABLE, "reset")
      yield* Deferred.await(ended)
      assert.deepStrictEqual(posted.at(-1), { _tag: "StreamFailed", streamId: 1, problem: { failureClass: "transient", code: GrpcCode.UNAVAILABLE, message: "reset" } })
      assert.isFalse(live.has(1))
    }))
})
