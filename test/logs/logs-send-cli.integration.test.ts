import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import { Deferred, Duration, Effect, Exit } from "effect"

const bin = Path.resolve("bin/dd-agent.js")

interface Exited {
  readonly code: number | null
  readonly stderr: string
}

/** Spawns `dd-agent ARGS`; the scope kills it if it is still running. */
const spawnCli = (args: ReadonlyArray<string>, stdin?: string) =>
  Effect.gen(function*() {
    const exited = yield* Deferred.make<Exited>()
    const firstLine = yield* Deferred.make<string, Error>()
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(process.execPath, [bin, ...args], { stdio: ["pipe", "pipe", "pipe"] })
        let stderr = ""
        child.stderr.on("data", (d) => { stderr += String(d) })
        Readline.createInterface({ input: child.stdout }).once("line", (l) => Deferred.unsafeDone(firstLine, Exit.succeed(l)))
        child.on("exit", (code) => {
          Deferred.unsafeDone(firstLine, Exit.fail(new Error(`exited early: ${stderr}`)))
          Deferred.unsafeDone(exited, Exit.succeed({ code, stderr }))
        })
        child.stdin.on("error", () => {})
        if (stdin !== undefined) child.stdin.end(stdin)
        return child
      }),
      (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
    )
    return {
      kill: (signal: NodeJS.Signals) => Effect.sync(() => child.kill(signal)),
      firstLine: Deferred.await(firstLine).pipe(Effect.timeout(Duration.seconds(30))),
      exited: Deferred.await(exited).pipe(Effect.timeout(Duration.seconds(60)))
    }
  })

const startIntake = (dir: string, faults: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const out = Path.join(dir, "intake.jsonl")
    const intake = yield* spawnCli(["intake", "--listen", "127.0.0.1:0", "--api-key", "K1", "--out", out, ...faults])
    const port = (JSON.parse(yield* intake.firstLine) as { listening: number }).listening
    return { port, out }
  })

/** Completes once `file` holds at least one byte (the intake has written a record), watching its directory. */
const untilWritten = (file: string) =>
  Effect.async<void>((resume) => {
    const check = () => {
      if (Fs.existsSync(file) && Fs.statSync(file).size > 0) {
        watcher.close()
        resume(Effect.void)
      }
    }
    const watcher = Fs.watch(Path.dirname(file), check)
    check()
    return Effect.sync(() => watcher.close())
  }).pipe(Effect.timeout(Duration.seconds(30)))

/** The JSON summary `logs send` prints as its last stderr line that is one. */
const summaryOf = (stderr: string) => {
  const line = stderr.trim().split("\n").reverse().find((l) => l.startsWith("{"))
  assert.isDefined(line, stderr)
  return JSON.parse(line!) as { ok: boolean; interrupted?: boolean; linesRead: number; acked: number; unacked: number; notAccepted: number }
}

const tmp = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "logs-send-cli-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

describe("dd-agent logs send (CLI)", () => {
  // Raw content and pattern extraction: a replay after each reset must find every pattern it references.
  for (const flags of [[], ["--patterns"]]) {
    it.scopedLive(`delivers every line byte-exact and exits 0 while the intake resets streams and delays acks ${flags.join(" ")}`, () =>
      Effect.gen(function*() {
        const dir = yield* tmp
        const { port, out } = yield* startIntake(dir, ["--reset-after-batches", "2", "--resets", "3", "--ack-delay-ms", "2"])
        const lines = Array.from({ length: 6_000 }, (_, i) =>
          i % 1000 === 7 ? "" : i % 333 === 0 ? `  ünïcødé ✓ line ${i}\t ` : `line ${i} GET /items/${i % 50} 200`)
        const file = Path.join(dir, "in.log")
        Fs.writeFileSync(file, lines.join("\n") + "\n")
        const send = yield* spawnCli([
          "logs", "send", "--endpoint", `127.0.0.1:${port}`, "--insecure", "--api-key", "K1",
          "--tags", "env:test,team:x", "--service", "web", "--status", "warn", ...flags, file
        ])
        const { code, stderr } = yield* send.exited
        assert.strictEqual(code, 0, stderr)
        const summary = JSON.parse(stderr.trim().split("\n").at(-1)!) as { ok: boolean; acked: number; linesRead: number }
        assert.deepStrictEqual([summary.ok, summary.linesRead, summary.acked], [true, 6_000, 6_000])
        const got = Fs.readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { message: string; tags: Array<string>; status: string })
        const counts = new Map<string, number>()
        for (const g of got) counts.set(g.message, (counts.get(g.message) ?? 0) + 1)
        for (const l of lines) {
          const n = counts.get(l) ?? 0
          assert.isAbove(n, 0, `missing line '${l}'`)
          counts.set(l, n - 1)
        }
        assert.deepStrictEqual(got[0]!.tags, ["env:test", "team:x", "service:web"])
        assert.strictEqual(got[0]!.status, "warn")
      }), { timeout: 90_000 })
  }

  it.scopedLive("a refused API key exits non-zero with the counts, without printing the key (stdin input)", () =>
    Effect.gen(function*() {
      const dir = yield* tmp
      const { port } = yield* startIntake(dir)
      const send = yield* spawnCli(["logs", "send", "--endpoint", `127.0.0.1:${port}`, "--insecure", "--api-key", "WRONG-KEY-123"], "a\nb\nc\n")
      const { code, stderr } = yield* send.exited
      assert.notStrictEqual(code, 0)
      assert.include(stderr, "\"acked\":0")
      assert.include(stderr, "\"unacked\":3")
      assert.include(stderr, "gRPC 16")
      assert.notInclude(stderr, "WRONG-KEY-123")
    }), { timeout: 90_000 })

  for (const flags of [[], ["--patterns"]]) {
    it.scopedLive(`reads lines as every input does: CRLF removed, over-long lines cut on character boundaries, bad UTF-8 replaced ${flags.join(" ")}`, () =>
      Effect.gen(function*() {
        const dir = yield* tmp
        const { port, out } = yield* startIntake(dir)
        const file = Path.join(dir, "in.log")
        Fs.writeFileSync(file, Buffer.concat([
          Buffer.from("crlf\r\n"),
          Buffer.from("€".repeat(100_000) + "\n"),
          Buffer.from([0x61, 0xff, 0x62, 0x0a]),
          Buffer.from("last")
        ]))
        const send = yield* spawnCli(["logs", "send", "--endpoint", `127.0.0.1:${port}`, "--insecure", "--api-key", "K1", ...flags, file])
        const { code, stderr } = yield* send.exited
        assert.strictEqual(code, 0, stderr)
        const got = Fs.readFileSync(out, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { message: string }).message)
        assert.deepStrictEqual(got.map((m) => m.length), [4, 87_381, 12_619, 3, 4])
        assert.deepStrictEqual(got, ["crlf", "€".repeat(87_381), "€".repeat(12_619), "a\uFFFDb", "last"])
      }), { timeout: 90_000 })
  }

  for (const [signal, flags] of [["SIGINT", []], ["SIGTERM", []], ["SIGTERM", ["--patterns"]]] as const) {
    it.scopedLive(`${signal} while lines are unacknowledged stops at once: non-zero exit and the summary ${flags.join(" ")}`, () =>
      Effect.gen(function*() {
        const dir = yield* tmp
        // Acks a minute late: every line stays unacknowledged while the test runs.
        const { port, out } = yield* startIntake(dir, ["--ack-delay-ms", "60000"])
        const file = Path.join(dir, "in.log")
        Fs.writeFileSync(file, Array.from({ length: 5_000 }, (_, i) => `line ${i}`).join("\n") + "\n")
        const send = yield* spawnCli([
          "logs", "send", "--endpoint", `127.0.0.1:${port}`, "--insecure", "--api-key", "K1",
          "--shutdown-timeout-ms", "600000", ...flags, file
        ])
        yield* untilWritten(out)
        yield* send.kill(signal)
        // Well before any acknowledgement could come, and far before the shutdown timeout.
        const { code, stderr } = yield* send.exited.pipe(Effect.timeout(Duration.seconds(20)))
        assert.notStrictEqual(code, 0, stderr)
        const s = summaryOf(stderr)
        assert.deepStrictEqual([s.ok, s.interrupted, s.acked], [false, true, 0])
        assert.isAbove(s.unacked, 0)
        assert.strictEqual(s.acked + s.unacked + s.notAccepted, s.linesRead)
      }), { timeout: 60_000 })
  }

  it.scopedLive("at end of input it keeps waiting while acknowledgements arrive, beyond --shutdown-timeout-ms", () =>
    Effect.gen(function*() {
      const dir = yield* tmp
      // 320 batches, acknowledged 500 ms after each arrives, 64 unacknowledged at most: the acks trickle in
      // for about 2.5 s after the input ends, never more than ~0.5 s apart; the timeout is 1.2 s.
      const { port, out } = yield* startIntake(dir, ["--ack-delay-ms", "500"])
      const file = Path.join(dir, "in.log")
      const n = 32_000
      Fs.writeFileSync(file, Array.from({ length: n }, (_, i) => `line ${i}`).join("\n") + "\n")
      const send = yield* spawnCli([
        "logs", "send", "--endpoint", `127.0.0.1:${port}`, "--insecure", "--api-key", "K1",
        "--batch-max-entries", "100", "--shutdown-timeout-ms", "1200", file
      ])
      const { code, stderr } = yield* send.exited
      assert.strictEqual(code, 0, stderr)
      const s = summaryOf(stderr)
      assert.deepStrictEqual([s.ok, s.linesRead, s.acked], [true, n, n])
      assert.strictEqual(Fs.readFileSync(out, "utf8").trim().split("\n").length, n)
    }), { timeout: 90_000 })
})
