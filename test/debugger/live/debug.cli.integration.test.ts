import * as cp from "node:child_process"
import * as path from "node:path"
import * as readline from "node:readline"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit } from "effect"
import { fixture, markerLine, spawnTarget } from "./target.js"

interface Cli {
  readonly child: cp.ChildProcess
  readonly firstLine: Effect.Effect<string, Error>
  readonly stderr: () => string
  readonly exit: Effect.Effect<number | null>
}

/** `dd-agent debug …` as a child process; killed if still running when the scope closes. */
const ddAgentDebug = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const first = yield* Deferred.make<string, Error>()
    const exited = yield* Deferred.make<number | null>()
    let err = ""
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const c = cp.spawn(process.execPath, [path.resolve("bin/dd-agent.js"), "debug", ...args], { stdio: ["ignore", "pipe", "pipe"] })
        readline.createInterface({ input: c.stdout! }).once("line", (l) => Deferred.unsafeDone(first, Exit.succeed(l)))
        c.stderr!.on("data", (d) => (err += String(d)))
        c.on("exit", (code) => {
          Deferred.unsafeDone(first, Exit.fail(new Error(`dd-agent debug exited (${code}) before a line: ${err}`)))
          Deferred.unsafeDone(exited, Exit.succeed(code))
        })
        return c
      }),
      (c) => Effect.sync(() => c.exitCode === null && c.kill("SIGKILL"))
    )
    const bounded = <A, E>(e: Effect.Effect<A, E>, what: string) =>
      Effect.timeoutFail(e, { duration: "60 seconds", onTimeout: () => new Error(`${what} timed out: ${err}`) })
    return {
      child,
      firstLine: bounded(Deferred.await(first), "first line"),
      stderr: () => err,
      exit: bounded(Deferred.await(exited), "exit").pipe(Effect.orDie)
    } satisfies Cli
  })

const app = fixture("app.js")
/** Each run starts the CLI from TypeScript sources, which takes seconds on a loaded machine. */
const cliTimeout = 150_000

describe("dd-agent debug (end to end)", () => {
  it.scopedLive("prints snapshot messages named through the process resolver; SIGTERM detaches and the target runs on", () =>
    Effect.gen(function*() {
      const t = yield* spawnTarget(app, { env: { DD_SERVICE: "checkout", DD_ENV: "test" } })
      const line = markerLine(app, "method")
      const cli = yield* ddAgentDebug(["--pid", String(t.pid), "--probe", `app.js:${line}`])
      const msg = JSON.parse(yield* cli.firstLine)
      assert.strictEqual(msg.service, "checkout")
      assert.strictEqual(msg.ddsource, "dd_debugger")
      assert.strictEqual(msg.debugger.snapshot.language, "javascript")
      assert.deepStrictEqual(msg.debugger.snapshot.captures.lines[String(line)].locals.item, { type: "string", value: "book" })
      cli.child.kill("SIGTERM")
      assert.strictEqual(yield* cli.exit, 0, cli.stderr())
      const after = Number((yield* t.waitFor((l) => l.endsWith(" clean"))).split(" ")[1])
      yield* t.waitFor((l) => l === `tick ${after + 10} clean`)
    }), cliTimeout)

  it.scopedLive("a log probe with --max-hits ends by itself; a missing file is an error naming the probe", () =>
    Effect.gen(function*() {
      const t = yield* spawnTarget(app)
      const line = markerLine(app, "function")
      const cli = yield* ddAgentDebug(["--pid", String(t.pid), "--probe", `app.js:${line}`, "--log", "qty={qty} subtotal={subtotal}", "--max-hits", "1"])
      const msg = JSON.parse(yield* cli.firstLine)
      assert.match(msg.message, /^qty=\d+ subtotal=\d+$/)
      assert.strictEqual(yield* cli.exit, 0, cli.stderr())
      const bad = yield* ddAgentDebug(["--pid", String(t.pid), "--probe", "nowhere.js:3", "--max-hits", "1"])
      assert.strictEqual(yield* bad.exit, 1)
      assert.include(bad.stderr(), "probe nowhere.js:3: no loaded script or source-mapped source ends with nowhere.js")
    }), cliTimeout)
})
