/** The agent-side helper, in a real child started by the loader with real descriptors. */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { build } from "esbuild"
import { Deferred, Effect, Either, Fiber, Queue } from "effect"
import { afterAll, beforeAll } from "vitest"
import { runLoader } from "../../src/layers/loader/Loader.js"
import { decodeLoaderConfig } from "../../src/services/loader/Config.js"
import { bodyOf, freePort, httpPost, portIsFree, reportServer, tmpDir } from "./helpers.js"

const HELPER_AGENT = Path.resolve("test/loader/fixtures/helper-agent.ts")

// The helper runs as a plain-Node bundle built once: starting it through a TypeScript loader compiles the
// Effect sources on every start, which on a busy machine outlasts the test's request timeout.
let bundleDir = ""
let helperBundle = ""
beforeAll(async () => {
  bundleDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "helper-agent-"))
  helperBundle = Path.join(bundleDir, "helper-agent.cjs")
  await build({ entryPoints: [HELPER_AGENT], outfile: helperBundle, bundle: true, platform: "node", format: "cjs", logLevel: "error" })
})
afterAll(() => Fs.rmSync(bundleDir, { recursive: true, force: true }))

const start = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const dir = yield* tmpDir
    const reports = yield* reportServer(dir)
    const signals = yield* Queue.sliding<string>(4)
    const listening = yield* Deferred.make<void>()
    const fullEnv = { ...process.env, FAKE_AGENT_REPORT: reports.path, ...env }
    const config = decodeLoaderConfig({ file: {}, env: fullEnv, platform: process.platform })
    const fiber = yield* Effect.fork(
      runLoader({
        command: [process.execPath, helperBundle],
        config: Either.isLeft(config) ? Effect.fail(config.left) : Effect.succeed(config.right),
        env: fullEnv,
        signals,
        stopGrace: "3 seconds",
        onListening: () => Deferred.succeed(listening, undefined)
      })
    )
    yield* Deferred.await(listening)
    return { reports, signals, fiber }
  })

describe("adoptInheritedSockets", () => {
  it.scopedLive("adopts the listener and the held client, serves both, and clears the variables", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const t = yield* start({
        DD_APM_RECEIVER_PORT: String(port),
        DD_APM_RECEIVER_SOCKET: "",
        DD_APM_SOCKET_ACTIVATION_HANDLE_TCP_PROBE: "1",
        EXPECT_TCP_PORT: String(port)
      })
      const first = yield* httpPost({ port }, "/first", "held")
      const ready = yield* t.reports.next
      assert.strictEqual(ready["event"], "ready")
      assert.strictEqual(ready["reason"], "data")
      assert.deepStrictEqual(ready["listeners"], [["tcp", 3]])
      assert.deepStrictEqual(ready["clients"], [["tcp", 4]])
      assert.deepStrictEqual(ready["leftover"], [])
      assert.strictEqual(bodyOf(first), "helper POST /first held")
      assert.strictEqual(bodyOf(yield* httpPost({ port }, "/second", "later")), "helper POST /second later")
      yield* Queue.offer(t.signals, "SIGTERM")
      const outcome = yield* Fiber.join(t.fiber)
      assert.strictEqual(outcome._tag, "AgentExited")
      assert.isTrue(yield* portIsFree(port), "the helper closed its adopted listener on exit")
    }))

  it.scopedLive("a listener bound elsewhere than expected is an error naming the variable", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const t = yield* start({
        DD_APM_RECEIVER_PORT: String(port),
        DD_APM_RECEIVER_SOCKET: "",
        EXPECT_TCP_PORT: "1"
      })
      yield* httpPost({ port }, "/", "x").pipe(Effect.ignore, Effect.fork)
      const r = yield* t.reports.next
      assert.strictEqual(r["event"], "error")
      assert.strictEqual(r["variable"], "DD_APM_NET_RECEIVER_FD")
      assert.include(r["message"] as string, "expected 1")
    }))

  it.scopedLive("puts the bytes the portable classifier read back in front of the held client", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const t = yield* start({
        DD_APM_RECEIVER_PORT: String(port),
        DD_APM_RECEIVER_SOCKET: "",
        DD_APM_SOCKET_ACTIVATION_HANDLE_TCP_PROBE: "1",
        DD_APM_SOCKET_ACTIVATION_CLASSIFIER: "read"
      })
      const body = "x".repeat(150_000)
      const first = yield* httpPost({ port }, "/first", body)
      const ready = yield* t.reports.next
      assert.deepStrictEqual(ready["clients"], [["tcp", 4]])
      assert.deepStrictEqual(ready["leftover"], [])
      assert.strictEqual(bodyOf(first), `helper POST /first ${body}`)
    }))
})
