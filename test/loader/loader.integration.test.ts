import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Net from "node:net"
import { Effect } from "effect"
import { loaderFlags } from "../../src/programs/nodeFlags.js"
import { bodyOf, FAKE_AGENT, freePort, httpPost, portIsFree, probe, reportServer, spawnLoader, tmpDir } from "./helpers.js"

/** A loader on a free TCP port, without a unix socket, with probe handling unless `args` say otherwise, once it polls. */
const tcpLoader = (env: Record<string, string> = {}, args = ["--handle-tcp-probe", "--", "node", FAKE_AGENT]) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const loader = yield* spawnLoader(args, { DD_APM_RECEIVER_PORT: String(port), DD_APM_RECEIVER_SOCKET: "", ...env })
    yield* loader.waitStderr("Polling...")
    return { port, loader }
  })

const payload = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join("")

describe("dd-agent loader, end to end with a fake agent", () => {
  it.scopedLive("absorbs 50 FIN and 20 RST probes, starts the agent on the first request and answers it byte-exact", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      const port = yield* freePort
      const sock = Path.join(dir, "apm.socket")
      const loader = yield* spawnLoader(["--handle-tcp-probe", "--", "node", FAKE_AGENT], {
        DD_APM_RECEIVER_PORT: String(port),
        DD_APM_RECEIVER_SOCKET: sock,
        DD_LOG_LEVEL: "debug",
        FAKE_AGENT_EXIT_CODE: "42",
        // A stale inherited value must not win over the loader's own.
        DD_APM_NET_RECEIVER_FD: "99",
        DD_APM_NET_RECEIVER_CLIENT_FD: "98"
      })
      yield* loader.waitStderr("Polling...")
      assert.strictEqual((Fs.statSync(sock).mode & 0o777).toString(8), "722")

      // Sequential probes, as a kubelet sends them: each one is absorbed before the next.
      // (A burst of more than max_held_connections at once starts the agent, by design.)
      for (let i = 0; i < 70; i++) {
        yield* probe({ port }, i >= 50)
        yield* loader.waitStderr("TCP client closed connection", i + 1)
      }
      assert.strictEqual(loader.stderr().includes("Starting the trace-agent"), false)
      assert.strictEqual(yield* loader.lines.size, 0, "no agent output before real traffic")

      const body = payload(100_000)
      const response = yield* httpPost({ port }, "/v0.4/traces", body)
      const ready = yield* loader.nextLine
      assert.strictEqual(ready["event"], "ready")
      assert.strictEqual(ready["reason"], "data")
      assert.strictEqual(ready["absorbed"], "70")
      assert.strictEqual(ready["tcp"], "3")
      assert.strictEqual(ready["unix"], "4")
      assert.strictEqual(ready["client"], "5")
      assert.strictEqual(bodyOf(response), `agent ${ready["pid"]} POST /v0.4/traces ${body}`)
      assert.include(loader.stderr(), "TCP client sent data, executing trace-agent...")

      // Later requests on both listeners reach the agent; the socket path survived the handover.
      const again = yield* httpPost({ port }, "/v0.5/traces", "second")
      assert.strictEqual(bodyOf(again), `agent ${ready["pid"]} POST /v0.5/traces second`)
      const viaUnix = yield* httpPost({ path: sock }, "/unix", "third")
      assert.strictEqual(bodyOf(viaUnix), `agent ${ready["pid"]} POST /unix third`)

      // The environment is never logged.
      assert.notInclude(loader.stderr(), "FAKE_AGENT_EXIT_CODE")

      // SIGTERM to the loader reaches the agent, and the agent's status is the loader's.
      yield* loader.kill("SIGTERM")
      const signal = yield* loader.nextLine
      assert.deepStrictEqual([signal["event"], signal["signal"]], ["signal", "SIGTERM"])
      assert.deepStrictEqual(yield* loader.exit, { code: 42, signal: null })
      assert.isTrue(Fs.statSync(sock).isSocket())
    }))

  it.scopedLive("a unix connection activates at once, and its request is answered", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      const sock = Path.join(dir, "apm.socket")
      Fs.writeFileSync(sock + ".unrelated", "")
      const loader = yield* spawnLoader(["--handle-tcp-probe", "--", "node", FAKE_AGENT], {
        DD_APM_RECEIVER_PORT: "0",
        DD_APM_RECEIVER_SOCKET: sock
      })
      yield* loader.waitStderr("Polling...")
      const response = yield* httpPost({ path: sock }, "/v0.4/traces", "over unix")
      const ready = yield* loader.nextLine
      assert.strictEqual(ready["reason"], "unix-connection")
      assert.strictEqual(ready["unix"], "3")
      assert.isUndefined(ready["tcp"])
      assert.strictEqual(bodyOf(response), `agent ${ready["pid"]} POST /v0.4/traces over unix`)
    }))

  it.scopedLive("requests sent before the agent is ready are not lost", () =>
    Effect.gen(function*() {
      const { port, loader } = yield* tcpLoader({ FAKE_AGENT_START_DELAY_MS: "400" })
      const first = yield* Effect.fork(httpPost({ port }, "/first", "1"))
      yield* loader.waitStderr("Starting the trace-agent...")
      // The agent is starting (it waits 400 ms before serving): these wait in the kernel backlog.
      const [second, third] = yield* Effect.all([httpPost({ port }, "/second", "2"), httpPost({ port }, "/third", "3")], {
        concurrency: 2
      })
      const ready = yield* loader.nextLine
      const pid = ready["pid"]
      assert.strictEqual(bodyOf(yield* first.await.pipe(Effect.flatten)), `agent ${pid} POST /first 1`)
      assert.strictEqual(bodyOf(second), `agent ${pid} POST /second 2`)
      assert.strictEqual(bodyOf(third), `agent ${pid} POST /third 3`)
    }))

  it.scopedLive("without probe handling the first connection, even a probe, starts the agent", () =>
    Effect.gen(function*() {
      const { port, loader } = yield* tcpLoader({}, ["--", "node", FAKE_AGENT])
      yield* probe({ port }, false)
      const ready = yield* loader.nextLine
      assert.strictEqual(ready["reason"], "connection")
      assert.include(loader.stderr(), "There is no tcp client connected")
    }))

  it.scopedLive("portable classifier: probes absorbed, the bytes it read are handed back and the request answered byte-exact", () =>
    Effect.gen(function*() {
      const { port, loader } = yield* tcpLoader({ DD_APM_SOCKET_ACTIVATION_CLASSIFIER: "read", DD_LOG_LEVEL: "debug" })
      for (let i = 0; i < 20; i++) {
        yield* probe({ port }, i % 2 === 1)
        yield* loader.waitStderr("TCP client closed connection", i + 1)
      }
      const body = payload(200_000)
      const response = yield* httpPost({ port }, "/v0.4/traces", body)
      const ready = yield* loader.nextLine
      assert.strictEqual(ready["reason"], "data")
      assert.strictEqual(ready["absorbed"], "20")
      const prefixes = ready["prefixes"] as Array<[number, number]>
      assert.strictEqual(prefixes.length, 1)
      assert.isAbove(prefixes[0]![1], 0, "the loader read some bytes and handed them back")
      assert.strictEqual(bodyOf(response), `agent ${ready["pid"]} POST /v0.4/traces ${body}`)
    }))

  it.scopedLive("SIGTERM while waiting: the loader exits 0, no agent, the port is free", () =>
    Effect.gen(function*() {
      const { port, loader } = yield* tcpLoader()
      yield* loader.kill("SIGTERM")
      assert.deepStrictEqual(yield* loader.exit, { code: 0, signal: null })
      assert.include(loader.stderr(), "Stopping: received SIGTERM before activation")
      assert.strictEqual(yield* loader.lines.size, 0)
      assert.isTrue(yield* portIsFree(port))
    }))

  it.scopedLive("the loader waits in its re-executed idle image (same pid); the agent does not inherit the plan", () =>
    Effect.gen(function*() {
      const { port, loader } = yield* tcpLoader()
      // /proc/PID/environ and cmdline are those the process image was executed with.
      const environ = Fs.readFileSync(`/proc/${loader.pid}/environ`, "utf8").split("\0")
      assert.isTrue(environ.some((v) => v.startsWith("DD_LOADER_IDLE_PLAN=")), "re-executed with the idle plan")
      // The idle image is its own bundle (no chunk of the CLI's), with the loader's V8 settings.
      const cmdline = Fs.readFileSync(`/proc/${loader.pid}/cmdline`, "utf8").split("\0")
      assert.include(cmdline, Path.resolve("dist/dd-agent-loader-idle.cjs"))
      for (const flag of loaderFlags) assert.include(cmdline, flag)
      const response = yield* httpPost({ port }, "/v0.4/traces", "x")
      const ready = yield* loader.nextLine
      assert.strictEqual(bodyOf(response), `agent ${ready["pid"]} POST /v0.4/traces x`)
      assert.isUndefined(ready["idlePlan"])
    }))

  it.scopedLive("a port in use: the idle phase starts the agent directly, and its status is the loader's", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      yield* Effect.acquireRelease(
        Effect.async<Net.Server>((resume) => {
          const s = Net.createServer()
          s.listen({ host: "127.0.0.1", port }, () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.sync(() => s.close())
      )
      // The agent reports there too, which keeps it running until it is signalled.
      const reports = yield* reportServer(yield* tmpDir)
      const loader = yield* spawnLoader(["--handle-tcp-probe", "--", "node", FAKE_AGENT], {
        DD_APM_RECEIVER_PORT: String(port),
        DD_APM_RECEIVER_SOCKET: "",
        FAKE_AGENT_EXIT_CODE: "5",
        FAKE_AGENT_REPORT: reports.path
      })
      const ready = yield* reports.next
      assert.strictEqual(ready["reason"], "direct")
      assert.isUndefined(ready["tcp"])
      assert.include(loader.stderr(), "Failed to get listeners for the trace-agent: ")
      yield* loader.kill("SIGTERM")
      assert.deepStrictEqual([(yield* reports.next)["signal"], yield* loader.exit], ["SIGTERM", { code: 5, signal: null }])
    }))
})
