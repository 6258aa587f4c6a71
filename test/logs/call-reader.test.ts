import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber } from "effect"
import { PassThrough } from "node:stream"
import { makeCallReader } from "../../src/layers/logs/CallReader.js"

const objects = () => new PassThrough({ objectMode: true, highWaterMark: 2 })
const failed = (cause: unknown) => `read failed: ${String(cause)}`

describe("reading a call's messages one at a time", () => {
  it.scoped("gives the messages in order as they arrive, then undefined once the writer has ended", () =>
    Effect.gen(function*() {
      const call = objects()
      const reader = yield* makeCallReader<number, string>(call, failed)
      call.write(1)
      call.write(2)
      expect(yield* reader.next).toBe(1)
      expect(yield* reader.next).toBe(2)
      // Nothing buffered: waits for the next message.
      const waiting = yield* Effect.fork(reader.next)
      call.write(3)
      expect(yield* Fiber.join(waiting)).toBe(3)
      const last = yield* Effect.fork(reader.next)
      call.end()
      expect(yield* Fiber.join(last)).toBeUndefined()
      expect(yield* reader.next).toBeUndefined()
    }))

  it.scoped("reads only what is asked for: the rest stays buffered, so the writer is held back", () =>
    Effect.gen(function*() {
      const call = objects()
      const reader = yield* makeCallReader<number, string>(call, failed)
      for (const n of [1, 2, 3, 4, 5]) call.write(n)
      expect(yield* reader.next).toBe(1)
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve))) // let the stream move what it would
      // The four messages not asked for are still in the call's buffers, which stay full: writes report backpressure.
      expect(call.readableLength + call.writableLength).toBeGreaterThanOrEqual(4)
      expect(call.write(6)).toBe(false)
      expect(yield* reader.next).toBe(2)
    }))

  it.scoped("after an error, gives the messages already buffered, then the error", () =>
    Effect.gen(function*() {
      const call = objects()
      const reader = yield* makeCallReader<number, string>(call, failed)
      call.write(1)
      call.emit("error", new Error("reset by peer"))
      expect(yield* reader.next).toBe(1)
      expect(yield* Effect.either(reader.next)).toEqual(Either.left("read failed: Error: reset by peer"))
      // A waiting read is woken by the error too.
      const other = objects()
      const second = yield* makeCallReader<number, string>(other, failed)
      const waiting = yield* Effect.fork(Effect.either(second.next))
      other.emit("error", new Error("gone"))
      expect(yield* Fiber.join(waiting)).toEqual(Either.left("read failed: Error: gone"))
    }))

  it.effect("a waiting read interrupted, and the scope closed, leave no listener on the call, which stays open", () =>
    Effect.gen(function*() {
      const call = objects()
      yield* Effect.scoped(Effect.gen(function*() {
        const reader = yield* makeCallReader<number, string>(call, failed)
        const waiting = yield* Effect.fork(reader.next)
        yield* Fiber.interrupt(waiting)
      }))
      expect(["readable", "error", "end"].map((e) => call.listenerCount(e))).toEqual([0, 0, 0])
      expect(call.destroyed).toBe(false)
    }))

  it.scoped("a call already ended reads as ended", () =>
    Effect.gen(function*() {
      const call = objects()
      call.end()
      call.resume()
      yield* Effect.promise(() => new Promise<void>((resolve) => call.once("end", () => resolve())))
      const reader = yield* makeCallReader<number, string>(call, failed)
      expect(yield* reader.next).toBeUndefined()
    }))
})
