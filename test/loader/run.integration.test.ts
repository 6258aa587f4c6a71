/** The loader driven in-process (runLoader) with real sockets and a real fake agent. */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import { Deferred, Effect, Either, Fiber, Queue } from "effect"
import { runLoader } from "../../src/layers/loader/Loader.js"
import { decodeLoaderConfig } from "../../src/services/loader/Config.js"
import type { IdlePlan } from "../../src/services/loader/IdlePlan.js"
import { alive, bodyOf, FAKE_AGENT, freePort, httpPost, portIsFree, reportServer, tmpDir } from "./helpers.js"

const configFrom = (env: Record<string, string>, file: unknown = {}) =>
  Effect.suspend(() => {
    const r = decodeLoaderConfig({ file, env, platform: process.platform })
    return Either.isLeft(r) ? Effect.fail(r.left) : Effect.succeed(r.right)
  })

const setup = (env: Record<string, string>, file: unknown = {}) =>
  Effect.gen(function*() {
    const dir = yield* tmpDir
    const reports = yield* reportServer(dir)
    const signals = yield* Queue.sliding<string>(4)
    const listening = yield* Deferred.make<ReadonlyArray<{ kind: string; address: string }>>()
    const started = yield* Deferred.make<number>()
    const fullEnv = { ...process.env, FAKE_AGENT_REPORT: reports.path, FAKE_AGENT_EXIT_CODE: "7", ...env }
    const run = runLoader({
      command: [process.execPath, FAKE_AGENT],
      config: configFrom(fullEnv as Record<string, string>, file),
      env: fullEnv,
      signals,
      stopGrace: "3 seconds",
      onListening: (ls) => Deferred.succeed(listening, ls),
      onAgentStarted: (pid) => Deferred.succeed(started, pid)
    })
    return { dir, reports, signals, listening, started, run }
  })


const idleClient = (port: number) =>
  Effect.async<{ socket: Net.Socket; closed: Deferred.Deferred<void> }>((resume) => {
    const closed = Deferred.unsafeMake<void>(undefined as never)
    const socket = Net.connect({ host: "127.0.0.1", port })
    socket.on("error", () => {})
    socket.on("close", () => Deferred.unsafeDone(closed, Effect.void))
    socket.once("connect", () => resume(Effect.succeed({ socket, closed })))
  })

describe("runLoader in-process", () => {
  it.scopedLive("interrupted before activation: ports freed, held connections closed, socket path kept", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const dirEnv = yield* tmpDir
      const sock = Path.join(dirEnv, "apm.socket")
      const t = yield* setup({
        DD_APM_RECEIVER_PORT: String(port),
        DD_APM_RECEIVER_SOCKET: sock,
        DD_APM_SOCKET_ACTIVATION_HANDLE_TCP_PROBE: "true"
      })
      const fiber = yield* Effect.fork(t.run)
      yield* Deferred.await(t.listening)
      const client = yield* idleClient(port)
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(client.closed).pipe(Effect.timeout("5 seconds"))
      assert.isTrue(yield* portIsFree(port))
      assert.isTrue(Fs.statSync(sock).isSocket(), "the real path is never unlinked")
      assert.deepStrictEqual(Fs.readdirSync(dirEnv), ["apm.socket"], "no temporary socket name left")
      assert.isFalse(yield* Deferred.isDone(t.started))
      client.socket.destroy()
    }))

  it.scopedLive("SIGTERM before activation exits 0 without starting the agent", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const t = yield* setup({ DD_APM_RECEIVER_PORT: String(port), DD_APM_RECEIVER_SOCKET: "" })
      const fiber = yield* Effect.fork(t.run)
      yield* Deferred.await(t.listening)
      yield* Queue.offer(t.signals, "SIGTERM")
      const outcome = yield* Fiber.join(fiber)
      assert.deepStrictEqual(outcome, { _tag: "Stopped", code: 0, why: "received SIGTERM before activation" })
      assert.isTrue(yield* portIsFree(port))
      assert.isFalse(yield* Deferred.isDone(t.started))
    }))

  it.scopedLive("after the handover the loader holds nothing; the agent's exit status is the outcome", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const t = yield* setup({
        DD_APM_RECEIVER_PORT: String(port),
        DD_APM_RECEIVER_SOCKET: "",
        DD_APM_SOCKET_ACTIVATION_HANDLE_TCP_PROBE: "true"
      })
      const fiber = yield* Effect.fork(t.run)
      yield* Deferred.await(t.listening)
      const idle = yield* idleClient(port) // held, handed over, never answered
      const response = yield* httpPost({ port }, "/v0.4/traces", "hello")
      const ready = yield* t.reports.next
      assert.strictEqual(bodyOf(response), `agent ${ready["pid"]} POST /v0.4/traces hello`)
      assert.strictEqual(ready["reason"], "data")
      assert.deepStrictEqual(ready["clients"], [4, 5], "trigger first, then the idle held client")
      yield* Queue.offer(t.signals, "SIGTERM")
      const signal = yield* t.reports.next
      assert.strictEqual(signal["signal"], "SIGTERM")
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome._tag, "AgentExited")
      assert.strictEqual(outcome.code, 7)
      // Only the agent held the listener and the idle client: with it gone, both are closed.
      assert.isTrue(yield* portIsFree(port))
      yield* Deferred.await(idle.closed).pipe(Effect.timeout("5 seconds"))
      assert.isFalse(alive(ready["pid"] as number))
    }))

  it.scopedLive("interrupting the loader while the agent runs stops the agent and reaps it", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const t = yield* setup({ DD_APM_RECEIVER_PORT: String(port), DD_APM_RECEIVER_SOCKET: "" })
      const fiber = yield* Effect.fork(t.run)
      yield* Deferred.await(t.listening)
      yield* httpPost({ port }, "/", "x")
      const pid = yield* Deferred.await(t.started)
      yield* t.reports.next
      yield* Fiber.interrupt(fiber)
      assert.isFalse(alive(pid))
      assert.isTrue(yield* portIsFree(port))
    }))
})

describe("runLoader with an idle hook", () => {
  it.scopedLive("the hook gets the resolved command and the decoded settings; when it returns, the wait runs here", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const signals = yield* Queue.sliding<string>(4)
      const listening = yield* Deferred.make<void>()
      const plans: Array<IdlePlan> = []
      const env = { PATH: process.env["PATH"], DD_APM_RECEIVER_PORT: String(port), DD_APM_RECEIVER_SOCKET: "" }
      // The hook sees the configuration as decoded plus the command line's --handle-tcp-probe.
      const fiber = yield* Effect.fork(runLoader({
        command: ["node", FAKE_AGENT, "--flag"],
        config: configFrom(env as Record<string, string>),
        env,
        handleTcpProbe: true,
        signals,
        idle: (plan) => Effect.sync(() => void plans.push(plan)),
        onListening: () => Deferred.succeed(listening, undefined)
      }))
      yield* Deferred.await(listening)
      assert.strictEqual(plans.length, 1)
      const [plan] = plans
      assert.isTrue(Path.isAbsolute(plan!.command[0]) && plan!.command[0].endsWith("node"), "resolved through PATH")
      assert.deepStrictEqual([plan!.command.slice(1), plan!.argv0], [[FAKE_AGENT, "--flag"], "node"])
      assert.deepStrictEqual([plan!.config.receiverPort, plan!.config.handleTcpProbe, plan!.config.classifier], [port, true, "proc"])
      yield* Queue.offer(signals, "SIGTERM")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { _tag: "Stopped", code: 0, why: "received SIGTERM before activation" })
    }))

  it.scopedLive("APM disabled: the hook is not called", () =>
    Effect.gen(function*() {
      const signals = yield* Queue.sliding<string>(1)
      let called = false
      const outcome = yield* runLoader({
        command: [process.execPath, FAKE_AGENT],
        config: configFrom({ DD_APM_ENABLED: "false" }),
        env: {},
        signals,
        idle: () => Effect.sync(() => void (called = true))
      })
      assert.deepStrictEqual([outcome, called], [{ _tag: "Stopped", code: 0, why: "APM disabled" }, false])
    }))
})

describe("runLoader decisions before the wait", () => {
  it.scopedLive("APM disabled: exit 0, nothing started", () =>
    Effect.gen(function*() {
      const t = yield* setup({ DD_APM_ENABLED: "false" })
      assert.deepStrictEqual(yield* t.run, { _tag: "Stopped", code: 0, why: "APM disabled" })
      assert.isFalse(yield* Deferred.isDone(t.started))
    }))

  it.scopedLive("all inputs disabled: exit 0", () =>
    Effect.gen(function*() {
      const t = yield* setup({ DD_APM_RECEIVER_PORT: "0", DD_APM_RECEIVER_SOCKET: "" })
      assert.deepStrictEqual(yield* t.run, { _tag: "Stopped", code: 0, why: "no inputs" })
    }))

  it.scopedLive("a command that does not exist: exit 1", () =>
    Effect.gen(function*() {
      const signals = yield* Queue.sliding<string>(1)
      const outcome = yield* runLoader({
        command: ["/nonexistent/agent"],
        config: configFrom({}),
        env: {},
        signals
      })
      assert.deepStrictEqual(outcome, { _tag: "Stopped", code: 1, why: "agent command not found" })
    }))

  const direct = (name: string, env: (dir: string, port: number) => Record<string, string>, file: unknown = {}) =>
    it.scopedLive(`${name}: the agent starts directly with no descriptors and no stale variables`, () =>
      Effect.gen(function*() {
        const port = yield* freePort
        const blocker = yield* Effect.acquireRelease(
          Effect.async<Net.Server>((resume) => {
            const s = Net.createServer()
            s.listen({ host: "127.0.0.1", port }, () => resume(Effect.succeed(s)))
          }),
          (s) => Effect.sync(() => s.close())
        )
        const dir = yield* tmpDir
        const t = yield* setup({ ...env(dir, port), DD_APM_NET_RECEIVER_FD: "99" }, file)
        const fiber = yield* Effect.fork(t.run)
        const ready = yield* t.reports.next
        assert.strictEqual(ready["reason"], "direct")
        assert.isUndefined(ready["tcp"], "stale inherited descriptor variable removed")
        yield* Queue.offer(t.signals, "SIGTERM")
        yield* t.reports.next
        const outcome = yield* Fiber.join(fiber)
        assert.deepStrictEqual(outcome._tag === "AgentExited" ? [outcome.code, outcome.reason] : outcome, [7, "direct"])
        assert.isFalse(yield* Deferred.isDone(t.listening))
        void blocker
      }))

  direct("socket activation disabled", () => ({ DD_APM_SOCKET_ACTIVATION_ENABLED: "false" }))
  direct("invalid configuration", () => ({}), { apm_config: { receiver_port: "not a port" } })
  direct("TCP port already in use", (_, port) => ({ DD_APM_RECEIVER_PORT: String(port), DD_APM_RECEIVER_SOCKET: "" }))
  direct("receiver socket path is a regular file", (dir) => {
    const path = Path.join(dir, "apm.socket")
    Fs.writeFileSync(path, "not a socket")
    return { DD_APM_RECEIVER_PORT: "0", DD_APM_RECEIVER_SOCKET: path }
  })
})
