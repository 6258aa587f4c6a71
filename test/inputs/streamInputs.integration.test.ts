import { assert, describe, it } from "@effect/vitest"
import * as Net from "node:net"
import { PassThrough } from "node:stream"
import { Chunk, Duration, Effect, Exit, Fiber, Queue, Scope } from "effect"
import { pumpReadable, serveTcpInput } from "../../src/layers/inputs/StreamInputs.js"
import type { InputLine } from "../../src/services/inputs/InputLine.js"

describe("stream inputs", () => {
  it.live("a readable (stdin) is read line by line with the input's tags, the last line without a newline included", () =>
    Effect.gen(function*() {
      const lines = yield* Queue.unbounded<InputLine>()
      const stream = new PassThrough()
      const pump = yield* Effect.fork(pumpReadable(stream, { service: "cli", tags: ["env:x"] }, (b) => Queue.offerAll(lines, b)))
      stream.write("one\r\ntw")
      stream.write("o\n\nthree")
      stream.end()
      yield* pump.await.pipe(Effect.timeout(Duration.seconds(10)))
      const got = Chunk.toReadonlyArray(yield* Queue.takeAll(lines))
      assert.deepStrictEqual(got.map((l) => l.text), ["one", "two", "", "three"])
      assert.deepStrictEqual(got[0]!.tags, ["service:cli", "env:x"])
    }))

  it.live("stopping a stream input leaves the stream (stdin) open: it is not the input's to close", () =>
    Effect.gen(function*() {
      const lines = yield* Queue.unbounded<InputLine>()
      const stream = new PassThrough()
      const pump = yield* Effect.fork(pumpReadable(stream, {}, (b) => Queue.offerAll(lines, b)))
      stream.write("first\n")
      yield* Queue.take(lines).pipe(Effect.timeout(Duration.seconds(10)))
      yield* Fiber.interrupt(pump)
      assert.isFalse(stream.destroyed)
      stream.end()
    }))

  it.live("the TCP input takes lines from several clients and frees its port when its scope closes", () =>
    Effect.gen(function*() {
      const lines = yield* Queue.unbounded<InputLine>()
      const scope = yield* Scope.make()
      const port = yield* Scope.extend(serveTcpInput({ host: "127.0.0.1", port: 0, source: "tcp" }, (b) => Queue.offerAll(lines, b)), scope)
      const send = (text: string) =>
        Effect.async<void, Error>((resume) => {
          const s = Net.connect({ host: "127.0.0.1", port }, () => s.end(text))
          s.on("close", () => resume(Effect.void))
          s.on("error", (e) => resume(Effect.fail(e)))
        })
      yield* Effect.all([send("a1\na2\n"), send("b1\n")], { concurrency: 2 })
      const got = yield* Queue.takeBetween(lines, 3, 3).pipe(Effect.timeout(Duration.seconds(10)))
      assert.deepStrictEqual(Chunk.toReadonlyArray(got).map((l) => l.text).sort(), ["a1", "a2", "b1"])
      yield* Scope.close(scope, Exit.void)
      const refused = yield* Effect.either(send("late\n"))
      assert.strictEqual(refused._tag, "Left")
    }))
})
