import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import { Deferred, Duration, Effect, Exit } from "effect"
import type { Datum } from "../../src/services/logs/Datum.js"
import { openTestStream } from "./support/testClient.js"

const bin = Path.resolve("bin/dd-agent.js")

/** Runs `dd-agent intake` as a child process; resolves with its port once it prints `{"listening": PORT}`. */
const startCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const exited = yield* Deferred.make<{ code: number | null; signal: string | null; stderr: string }>()
    const listening = yield* Deferred.make<number, Error>()
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(process.execPath, [bin, "intake", ...args], {
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, DD_API_KEY: "", ...env }
        })
        let stderr = ""
        child.stderr.on("data", (d) => { stderr += String(d) })
        Readline.createInterface({ input: child.stdout }).once("line", (line) => {
          const port = (JSON.parse(line) as { listening?: number }).listening
          Deferred.unsafeDone(listening, port === undefined ? Exit.fail(new Error(line)) : Exit.succeed(port))
        })
        child.on("exit", (code, signal) => {
          Deferred.unsafeDone(listening, Exit.fail(new Error(`exited early: ${stderr}`)))
          Deferred.unsafeDone(exited, Exit.succeed({ code, signal, stderr }))
        })
        return child
      }),
      (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
    )
    const port = yield* Deferred.await(listening).pipe(Effect.timeout(Duration.seconds(20)))
    return {
      port,
      pid: child.pid!,
      signal: (s: NodeJS.Signals) => Effect.sync(() => child.kill(s)),
      exited: Deferred.await(exited).pipe(Effect.timeout(Duration.seconds(20)))
    }
  })

const raw = (timestamp: number, text: string): Datum => ({
  _tag: "Log", timestamp, content: { _tag: "Raw", raw: text }, tags: undefined, uuid: undefined, status: undefined
})

/** Runs `dd-agent intake ARGS` to its exit (bounded), with what it wrote on stderr. */
const runToExit = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const child = spawn(process.execPath, [bin, "intake", ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (d) => { stderr += String(d) })
    const code = yield* Effect.async<number | null>((resume) => {
      child.on("exit", (c) => resume(Effect.succeed(c)))
    }).pipe(Effect.timeout(Duration.seconds(20)))
    return { code, stderr }
  })

describe("dd-agent intake (CLI)", () => {
  it.scopedLive("serves a stream, writes JSON lines to --out, and on SIGINT exits 0 with a summary", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "intake-cli-"))
      const out = Path.join(dir, "logs.jsonl")
      const cli = yield* startCli(["--listen", "127.0.0.1:0", "--api-key", "secret", "--out", out])
      const s = yield* openTestStream(cli.port, { apiKey: "secret" })
      yield* s.send(1, [raw(1000, "one"), raw(1, "two ✓")])
      yield* s.awaitAcks(1)
      yield* cli.signal("SIGINT")
      const { code, stderr } = yield* cli.exited
      assert.strictEqual(code, 0)
      const summary = stderr.split("\n").filter((l) => l.startsWith("{\"summary\"")).map((l) => JSON.parse(l))
      assert.deepStrictEqual(summary, [{ summary: { streams: 1, activeStreams: 0, batches: 1, logs: 2, errors: 0 } }])
      assert.notInclude(stderr, "secret")
      const lines = Fs.readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l))
      assert.deepStrictEqual(lines, [
        { timestamp: 1000, message: "one", tags: [], status: null, stream: 1, batch: 1 },
        { timestamp: 1001, message: "two ✓", tags: [], status: null, stream: 1, batch: 1 }
      ])
      assert.strictEqual((yield* s.status).code, grpc.status.UNAVAILABLE)
      Fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.scopedLive("rejects a bad flag value with a message naming the flag", () =>
    Effect.gen(function*() {
      const { code, stderr } = yield* runToExit(["--listen", "127.0.0.1:99999"])
      assert.notStrictEqual(code, 0)
      assert.match(stderr, /--listen: expected HOST:PORT with a port from 0 to 65535, got '127.0.0.1:99999'/)
    }))

  for (const source of ["DD_API_KEY", "--api-key-file"] as const) {
    it.scopedLive(`takes its key from ${source}, which never shows in the command line`, () =>
      Effect.gen(function*() {
        const key = "s3cr3t-intake-key"
        const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "intake-key-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
        const keyFile = Path.join(dir, "key")
        Fs.writeFileSync(keyFile, `${key}\n`, { mode: 0o600 })
        const cli = source === "DD_API_KEY"
          ? yield* startCli(["--listen", "127.0.0.1:0"], { DD_API_KEY: key })
          : yield* startCli(["--listen", "127.0.0.1:0", "--api-key-file", keyFile])
        assert.notInclude(Fs.readFileSync(`/proc/${cli.pid}/cmdline`, "utf8"), key)
        const wrong = yield* openTestStream(cli.port, { apiKey: "not-it" })
        assert.strictEqual((yield* wrong.status).code, grpc.status.UNAUTHENTICATED)
        const right = yield* openTestStream(cli.port, { apiKey: key })
        yield* right.send(1, [raw(1, "in")])
        yield* right.awaitAcks(1)
        yield* cli.signal("SIGTERM")
        const { code, stderr } = yield* cli.exited
        assert.strictEqual(code, 0)
        assert.notInclude(stderr, key)
      }))
  }

  it.scopedLive("an empty --api-key-file is an error naming the file", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "intake-key-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const keyFile = Path.join(dir, "empty")
      Fs.writeFileSync(keyFile, "\n")
      const { code, stderr } = yield* runToExit(["--api-key-file", keyFile])
      assert.notStrictEqual(code, 0)
      assert.include(stderr, `--api-key-file: ${keyFile} is empty`)
    }))
})
