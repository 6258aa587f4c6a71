/**
 * The composed agent end to end, as a user runs it: `dd-agent run` as a child process with a temporary
 * config, lines appended to a file arrive byte-exact in the embedded intake's output, /status and /metrics
 * answer, SIGTERM exits 0 with everything acknowledged, and a restart sends nothing twice.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import * as Zlib from "node:zlib"
import { Deferred, Duration, Effect, Exit, Redacted } from "effect"
import { MemoryIntakeOutput } from "../../src/layers/logs/IntakeOutputLive.js"
import { makeIntakeServer } from "../../src/layers/logs/IntakeServer.js"
import { checkOpenMetrics } from "../status/openMetricsStrict.js"

const bin = Path.resolve("bin/dd-agent.js")
const exampleEvent = Fs.readFileSync(Path.resolve("docs/examples/events.jsonl"), "utf8").split("\n")[0]!

const startAgent = (dir: string) =>
  Effect.gen(function*() {
    const ready = yield* Deferred.make<{ status: string }, Error>()
    const exited = yield* Deferred.make<{ code: number | null; stderr: string }>()
    return yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(process.execPath, [bin, "run", "--config", "agent.yaml"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
        let stderr = ""
        Readline.createInterface({ input: child.stderr }).on("line", (line) => {
          stderr += line + "\n"
          if (line.startsWith("{\"ready\"")) Deferred.unsafeDone(ready, Exit.succeed(JSON.parse(line) as { status: string }))
        })
        child.on("exit", (code) => {
          Deferred.unsafeDone(ready, Exit.fail(new Error(`agent exited before ready: ${stderr}`)))
          // Let the last stderr lines through the line reader first.
          setImmediate(() => Deferred.unsafeDone(exited, Exit.succeed({ code, stderr })))
        })
        return child
      }).pipe(Effect.map((child) => ({ child }))),
      ({ child }) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
    ).pipe(Effect.flatMap(({ child }) =>
      Effect.gen(function*() {
        const { status } = yield* Deferred.await(ready).pipe(Effect.timeout(Duration.seconds(30)))
        return {
          status,
          stop: Effect.sync(() => child.kill("SIGTERM")).pipe(Effect.zipRight(Deferred.await(exited)), Effect.timeout(Duration.seconds(30)))
        }
      })
    ))
  })

const get = (address: string, path: string) =>
  Effect.async<{ status: number; body: string }, Error>((resume) => {
    const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))]
    Http.get({ host, port, path }, (res) => {
      let body = ""
      res.on("data", (d) => { body += String(d) })
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body })))
    }).on("error", (e) => resume(Effect.fail(e)))
    return undefined
  })

const readLines = (file: string): Array<{ message: string; tags: Array<string> }> =>
  Fs.existsSync(file) ? Fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)) : []

/** Waits (bounded) until the intake output holds `n` logs. */
const awaitLogs = (file: string, n: number) =>
  Effect.gen(function*() {
    for (;;) {
      const ls = readLines(file)
      if (ls.length >= n) return ls
      yield* Effect.sleep("50 millis")
    }
  }).pipe(
    Effect.timeoutFail({ duration: Duration.seconds(30), onTimeout: () => new Error(`intake output did not reach ${n} logs: ${readLines(file).length}`) })
  )

describe("dd-agent run (composed agent)", () => {
  // With raw content and with pattern extraction: the restart must resume exactly either way.
  it.scopedLive.each([false, true])("tails a file into the embedded intake byte-exact, serves status and metrics, stops cleanly, resumes without resending (patterns: %s)", (patterns) =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "agent-"))
      const app = Path.join(dir, "app.log")
      Fs.writeFileSync(app, "before start ✓\n")
      Fs.writeFileSync(Path.join(dir, "agent.yaml"), [
        "tags: [env:it]",
        "logs_config:",
        "  batch_wait: 0.05",
        `  pattern_extraction: ${patterns}`,
        "logs:",
        "  - type: file",
        `    path: ${app}`,
        "    service: app",
        "    start_position: beginning",
        "  - type: tcp",
        "    port: 0",
        "    service: tcp-in",
        "process_config:",
        "  interval: 0.5",
        "  events_file: process-events.jsonl",
        "status:",
        "  listen: 127.0.0.1:0",
        ""
      ].join("\n"))
      const out = Path.join(dir, ".dd-agent", "intake.jsonl")
      // Lines of one shape, enough for a pattern, among odd ones.
      const lines = ["héllo wörld", "  spaced\tline  ", "", "x".repeat(10_000), "with \r inside",
        ...Array.from({ length: 20 }, (_, i) => `GET /items/${i * 37} 200 in ${i % 7} ms user=u${i % 3}`)]

      const first = yield* startAgent(dir)
      Fs.appendFileSync(app, lines.map((l) => l + "\n").join(""))
      const got = yield* awaitLogs(out, 1 + lines.length)
      assert.deepStrictEqual(got.map((r) => r.message), ["before start ✓", ...lines])
      assert.deepStrictEqual(got[0]!.tags, ["service:app", "env:it"])

      const status = JSON.parse((yield* get(first.status, "/status")).body)
      assert.strictEqual(status.logs.state, "running")
      assert.strictEqual(status.logs.workers[0].logsAcked, 1 + lines.length)
      assert.strictEqual(status.process.state, "running")
      assert.isAbove(status.process.processes, 0)
      assert.strictEqual(status.dynamic_instrumentation.state, "disabled")
      const report = yield* Effect.async<string, Error>((resume) => {
        execFile(process.execPath, [bin, "status", "--address", first.status], (error, stdout, stderr) =>
          resume(error ? Effect.fail(new Error(`${error.message}\n${stderr}`)) : Effect.succeed(stdout)))
      })
      assert.match(report, /Logs: running/)
      assert.match(report, /worker 0 +active/)
      assert.match(report, /Process resolver: running/)
      assert.match(report, /Dynamic Instrumentation: disabled/)
      const metrics = (yield* get(first.status, "/metrics")).body
      assert.match(metrics, new RegExp(`dd_agent_logs_sender_logs_acked_total ${1 + lines.length}\n`))
      assert.deepStrictEqual(checkOpenMetrics(metrics), [])

      // The TCP line input: its bound port is in the status.
      const tcp = status.logs.inputs.find((i: { type: string }) => i.type === "tcp").target as string
      yield* Effect.async<void, Error>((resume) => {
        const socket = Net.connect({ host: "127.0.0.1", port: Number(tcp.split(":")[1]) }, () => socket.end("via tcp\n"))
        socket.on("close", () => resume(Effect.void))
        socket.on("error", (e) => resume(Effect.fail(e)))
      })
      const withTcp = yield* awaitLogs(out, 2 + lines.length)
      assert.deepStrictEqual([withTcp.at(-1)!.message, withTcp.at(-1)!.tags], ["via tcp", ["service:tcp-in", "env:it"]])

      const stopped = yield* first.stop
      assert.strictEqual(stopped.code, 0)
      assert.match(stopped.stderr, /"complete":true/)

      // A restart resumes after the last acknowledged line: only the new lines are sent.
      Fs.appendFileSync(app, "after restart\n")
      const second = yield* startAgent(dir)
      const all = yield* awaitLogs(out, 3 + lines.length)
      assert.strictEqual(all.at(-1)!.message, "after restart")
      const again = yield* second.stop
      assert.strictEqual(again.code, 0)
      assert.strictEqual(readLines(out).length, 3 + lines.length, "nothing was sent twice")
      Fs.rmSync(dir, { recursive: true, force: true })
    }), { timeout: 120_000 })

  it.scopedLive("encodes capture events from the capture directory with the target process's identity and uploads them; a line nested 5,000 deep is counted invalid and the lines after it go on", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "agent-di-"))
      // The intake a snapshot is uploaded to: collects the JSON items of each (gzip) POST.
      const received = yield* Deferred.make<Record<string, unknown>>()
      const server = yield* Effect.acquireRelease(
        Effect.async<Http.Server>((resume) => {
          const srv = Http.createServer((req, res) => {
            const parts: Array<Buffer> = []
            req.on("data", (d: Buffer) => parts.push(d))
            req.on("end", () => {
              const body = Buffer.concat(parts)
              const text = req.headers["content-encoding"] === "gzip" ? Zlib.gunzipSync(body).toString("utf8") : body.toString("utf8")
              if (req.url?.startsWith("/debugger/v2/input")) {
                for (const item of JSON.parse(text) as Array<Record<string, unknown>>) Deferred.unsafeDone(received, Exit.succeed(item))
              }
              res.writeHead(202).end("{}")
            })
          })
          srv.listen(0, "127.0.0.1", () => resume(Effect.succeed(srv)))
        }),
        (srv) => Effect.async<void>((resume) => { srv.close(() => resume(Effect.void)); srv.closeAllConnections() })
      )
      const port = (server.address() as Net.AddressInfo).port
      // The target process: its identity comes from its environment (no tracer memfd).
      const target = yield* Effect.acquireRelease(
        Effect.sync(() => spawn("sleep", ["60"], { env: { ...process.env, DD_SERVICE: "capture-it", DD_ENV: "it", DD_VERSION: "7" }, stdio: "ignore" })),
        (child) => Effect.sync(() => child.kill("SIGKILL"))
      )
      Fs.mkdirSync(Path.join(dir, "captures"))
      Fs.writeFileSync(Path.join(dir, "agent.yaml"), [
        "logs_enabled: false",
        "hostname: configured-host",
        "process_config:",
        "  read_environ: true",
        "dynamic_instrumentation:",
        "  enabled: true",
        `  capture_dir: ${Path.join(dir, "captures")}`,
        `  endpoint: http://127.0.0.1:${port}/debugger/v2/input`,
        "status:",
        "  listen: 127.0.0.1:0",
        ""
      ].join("\n"))
      const agent = yield* startAgent(dir)
      const event = { ...JSON.parse(exampleEvent), pid: target.pid }
      // 200 KB: under the tailer's line limit, so the whole line reaches the decoder.
      const deep = JSON.stringify({ ...event, captures: { entry: { arguments: { deep: "VALUE" } } } })
        .replace('"VALUE"', '{"kind":"struct","type":"T","fields":[["f",'.repeat(5_000) + '{"kind":"null","type":"T"}' + "]]}".repeat(5_000))
      Fs.appendFileSync(Path.join(dir, "captures", "app.jsonl"), deep + "\n" + JSON.stringify(event) + "\n")
      const snapshot = yield* Deferred.await(received).pipe(Effect.timeout(Duration.seconds(30)))
      assert.strictEqual(snapshot["ddsource"], "dd_debugger")
      assert.strictEqual(snapshot["service"], "capture-it")
      assert.strictEqual(snapshot["hostname"], "configured-host")
      const probe = (snapshot["debugger"] as { snapshot: { probe: { id: string } } }).snapshot.probe
      assert.strictEqual(probe.id, event.probe.id)
      const status = JSON.parse((yield* get(agent.status, "/status")).body)
      assert.strictEqual(status.dynamic_instrumentation.state, "running")
      assert.strictEqual(status.dynamic_instrumentation.pipeline.queued, 1)
      assert.strictEqual(status.dynamic_instrumentation.invalidLines, 1)
      const metrics = (yield* get(agent.status, "/metrics")).body
      assert.match(metrics, /^dd_agent_debugger_events_total\{outcome="invalid"\} 1$/m)
      assert.match(metrics, /^dd_agent_debugger_events_total\{outcome="queued"\} 1$/m)
      assert.strictEqual(status.logs.state, "disabled")
      assert.strictEqual((yield* agent.stop).code, 0)
      Fs.rmSync(dir, { recursive: true, force: true })
    }), { timeout: 60_000 })

  it.scopedLive("a logs worker refused by its intake shows failed in /status, dd-agent status and the summary, and the exit is 3", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "agent-failed-"))
      const output = yield* MemoryIntakeOutput.make
      const intake = yield* makeIntakeServer({ host: "127.0.0.1", port: 0, apiKey: Redacted.make("the-right-key") }).pipe(Effect.provide(output.layer))
      Fs.writeFileSync(Path.join(dir, "app.log"), "")
      Fs.writeFileSync(Path.join(dir, "agent.yaml"), [
        "api_key: a-wrong-key",
        "logs_config:",
        `  stream_endpoint: 127.0.0.1:${intake.port}`,
        "  insecure: true",
        "logs:",
        "  - type: file",
        `    path: ${Path.join(dir, "app.log")}`,
        "process_config:",
        "  enabled: false",
        "status:",
        "  listen: 127.0.0.1:0",
        ""
      ].join("\n"))
      const agent = yield* startAgent(dir)
      // The stream is refused with UNAUTHENTICATED (fatal): wait (bounded) for the status to say so.
      const status = yield* Effect.gen(function*() {
        for (;;) {
          const s = JSON.parse((yield* get(agent.status, "/status")).body)
          if (s.logs.state !== "running") return s
          yield* Effect.sleep("50 millis")
        }
      }).pipe(Effect.timeoutFail({ duration: Duration.seconds(30), onTimeout: () => new Error("the logs component never left 'running'") }))
      assert.strictEqual(status.logs.state, "failed")
      assert.strictEqual(status.logs.workers[0].phase, "failed")
      const report = yield* Effect.async<string, Error>((resume) => {
        execFile(process.execPath, [bin, "status", "--address", agent.status], (error, stdout, stderr) =>
          resume(error ? Effect.fail(new Error(`${error.message}\n${stderr}`)) : Effect.succeed(stdout)))
      })
      assert.match(report, /Logs: failed/)
      assert.match(report, /worker 0 +failed/)
      const stopped = yield* agent.stop
      assert.strictEqual(stopped.code, 3)
      assert.match(stopped.stderr, /"complete":false/)
      Fs.rmSync(dir, { recursive: true, force: true })
    }), { timeout: 60_000 })
})

