import { assert, describe, it } from "@effect/vitest"
import * as Net from "node:net"
import { PassThrough } from "node:stream"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Chunk, Duration, Effect, Exit, Fiber, Queue, Scope } from "effect"
import { readFileLines } from "../../src/layers/inputs/LineReader.js"
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

  it.live("stdin, a TCP connection and a file read the same bytes into the same lines", () =>
    Effect.gen(function*() {
      // CRLF and LF endings, a lone CR kept, invalid UTF-8, a 300 000-byte line of 3-byte characters (over the
      // 256 KiB limit: cut on a character boundary), and a last line without a newline (its CR kept).
      const bytes = Buffer.concat([
        Buffer.from("crlf\r\nlf\nlone\rcr\n"),
        Buffer.from([0x61, 0xff, 0x62, 0xe2, 0x82, 0x0a]),
        Buffer.from("€".repeat(100_000) + "\n"),
        Buffer.from("last\r")
      ])
      const expected = ["crlf", "lf", "lone\rcr", "a\uFFFDb\uFFFD", "€".repeat(87_381), "€".repeat(12_619), "last\r"]
      const collect = (read: (onText: (texts: ReadonlyArray<string>) => Effect.Effect<void>) => Effect.Effect<void, unknown>) =>
        Effect.gen(function*() {
          const got: Array<string> = []
          yield* read((texts) => Effect.sync(() => { got.push(...texts) }))
          return got
        })
      // stdin: written in pieces that split characters and CRLFs.
      const viaStdin = yield* collect((onText) => {
        const stream = new PassThrough()
        for (let at = 0; at < bytes.length; at += 7) stream.write(bytes.subarray(at, at + 7))
        stream.end()
        return pumpReadable(stream, {}, (ls) => onText(ls.map((l) => l.text)))
      })
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "line-reader-"))
      const file = Path.join(dir, "in.log")
      Fs.writeFileSync(file, bytes)
      const viaFile = yield* collect((onText) => readFileLines(file, (ls) => onText(ls.map((l) => l.text)), { chunkBytes: 4096 }))
      Fs.rmSync(dir, { recursive: true, force: true })
      const viaTcp = yield* Effect.scoped(Effect.gen(function*() {
        const lines = yield* Queue.unbounded<InputLine>()
        const port = yield* serveTcpInput({ host: "127.0.0.1", port: 0 }, (b) => Queue.offerAll(lines, b))
        const client = Net.connect({ host: "127.0.0.1", port }, () => client.end(bytes))
        client.on("error", () => {})
        const got = yield* Queue.takeBetween(lines, expected.length, expected.length).pipe(Effect.timeout(Duration.seconds(10)))
        return Chunk.toReadonlyArray(got).map((l) => l.text)
      }))
      for (const [name, got] of [["stdin", viaStdin], ["file", viaFile], ["tcp", viaTcp]] as const) {
        assert.deepStrictEqual(got.map((t) => t.length), expected.map((t) => t.length), name)
        assert.deepStrictEqual(got, expected, name)
      }
    }))
})
