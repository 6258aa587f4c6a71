import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Deferred, Effect, Exit, Layer, Logger, Option, PubSub, Scope } from "effect"
import { AgentComponents } from "../../src/layers/agent/AgentComponents.js"
import * as ProcessComponent from "../../src/layers/agent/ProcessComponent.js"
import type { AgentSettings } from "../../src/services/config/AgentSettings.js"
import type { ProcessEvent } from "../../src/services/process/ProcessEvent.js"
import { ProcessResolver } from "../../src/services/process/ProcessResolver.js"

const settings = (eventsFile: string, over: Partial<AgentSettings["process"]> = {}): AgentSettings["process"] => ({
  enabled: true,
  intervalMs: 1000,
  procRoot: "/proc",
  readEnviron: false,
  eventsFile,
  eventsFileMaxBytes: 10 * 1024 * 1024,
  eventsFileKeep: 1,
  scrubArgs: undefined,
  ...over
})

const event = (pid: number): ProcessEvent => ({
  type: "exec",
  timestamp: pid,
  key: { pid, startTime: 1 },
  ppid: 1,
  comm: "worker",
  entry: Option.none()
})

const tmpDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "process-events-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** The process component over a resolver whose events the test publishes; built in its own scope. */
const start = (s: AgentSettings["process"], logger: Layer.Layer<never> = Layer.empty) =>
  Effect.gen(function*() {
    const hub = yield* PubSub.unbounded<ProcessEvent>()
    const resolver = Layer.mock(ProcessResolver, { subscribe: PubSub.subscribe(hub), entries: Effect.succeed([]) })
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(
      ProcessComponent.layerOver(s).pipe(Layer.provideMerge(Layer.merge(resolver, AgentComponents.layer))),
      scope
    ).pipe(Effect.provide(logger))
    return { hub, scope, components: Layer.succeedContext(context) }
  })

const pidsIn = (file: string) =>
  Fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { process: { pid: number } }).process.pid)

describe("process events file", () => {
  it.scoped("a stop writes every event published before it, in order", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      const file = Path.join(dir, "events.jsonl")
      const { hub, scope } = yield* start(settings(file))
      const n = 5_000
      for (let pid = 1; pid <= n; pid++) yield* PubSub.publish(hub, event(pid))
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(pidsIn(file), Array.from({ length: n }, (_, i) => i + 1))
    }))

  it.scopedLive("a failed write is a typed error reported in the component's status and log", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      const file = Path.join(dir, "events.jsonl")
      // Rotation must rename the file onto `events.jsonl.1`, a non-empty directory: the rename fails.
      Fs.mkdirSync(`${file}.1`)
      Fs.writeFileSync(Path.join(`${file}.1`, "x"), "")
      Fs.writeFileSync(file, "x".repeat(150) + "\n") // the first batch makes the file rotate
      // The failure is logged; the test waits for that log line (bounded), then reads the status.
      const logged = yield* Deferred.make<string>()
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ message }) => { Deferred.unsafeDone(logged, Exit.succeed(String(message))) })
      )
      const { hub, scope, components } = yield* start(settings(file, { eventsFileMaxBytes: 200 }), capture)
      for (let pid = 1; pid <= 20; pid++) yield* PubSub.publish(hub, event(pid))
      const line = yield* Deferred.await(logged).pipe(
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("the write error was not logged") })
      )
      assert.include(line, "process events are no longer written")
      const status = yield* Effect.gen(function*() {
        const c = yield* AgentComponents
        return (yield* c.statuses).process as ProcessComponent.ProcessStatus
      }).pipe(Effect.provide(components))
      assert.strictEqual(status.state, "failed")
      assert.include(status.problem, `cannot write to ${file}`)
      yield* Scope.close(scope, Exit.void)
    }))
})
