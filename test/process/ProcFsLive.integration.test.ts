/**
 * Against the real /proc: a python3 child publishes sealed tracer memfds the way tracing libraries do,
 * then stays alive until its scope closes (the executor kills and reaps it).
 */
import * as path from "node:path"
import { Command } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Option, Queue, Scope, Stream } from "effect"
import * as ResolverLayer from "../../src/layers/process/ProcessResolverLayer.js"
import * as ProcFsLive from "../../src/layers/process/ProcFsLive.js"
import { ProcFs } from "../../src/services/process/ProcFs.js"
import type { ProcessEvent } from "../../src/services/process/ProcessEvent.js"
import { ProcessResolver } from "../../src/services/process/ProcessResolver.js"
import type { TracerMetadata } from "../../src/services/process/TracerMetadata.js"

const WRITER = path.resolve("test/process/fixtures/tracer_memfd_writer.py")
const first = {
  schema_version: 2,
  runtime_id: "11111111-aaaa-bbbb-cccc-000000000001",
  tracer_language: "python",
  tracer_version: "3.12.0",
  hostname: "it-host",
  service_name: "first-publish"
}
const second: TracerMetadata = {
  ...first,
  runtime_id: "11111111-aaaa-bbbb-cccc-000000000002",
  service_name: "checkout",
  service_env: "it",
  service_version: "9.9.9",
  process_tags: "entrypoint.name:writer,entrypoint.type:script",
  logs_collected: true,
  threadlocal_attribute_keys: ["http.method", "http.target"]
}

/** Starts the writer in the current scope; returns its pid and memfd fds once they are sealed. */
const startWriter = (payloads: ReadonlyArray<object>) =>
  Effect.gen(function*() {
    const child = yield* Command.start(Command.make("python3", WRITER, JSON.stringify(payloads)))
    const line = yield* child.stdout.pipe(Stream.decodeText(), Stream.splitLines, Stream.runHead, Effect.timeout("10 seconds"))
    const [pid, ...fds] = Option.getOrThrow(line).trim().split(" ").map(Number)
    return { pid: pid!, fds, child }
  })

const live = Layer.mergeAll(ResolverLayer.layerLive({ watch: false }), ProcFsLive.layer(), NodeContext.layer)

describe("real /proc", () => {
  it.scopedLive("resolves the writer with its full tracer metadata, choosing the newest of two memfds", () =>
    Effect.gen(function*() {
      const { fds, pid } = yield* startWriter([first, second])
      const procFs = yield* ProcFs
      const links = yield* procFs.fds(pid, 1024)
      const memfds = links.filter((l) => l.target.startsWith("/memfd:datadog-tracer-info-"))
      assert.strictEqual(memfds.length, 2)
      assert.match(memfds[0]!.target, /^\/memfd:datadog-tracer-info-[A-Za-z0-9]{8} \(deleted\)$/)

      const resolver = yield* ProcessResolver
      const entry = yield* resolver.resolve(pid)
      assert.deepStrictEqual(Option.getOrNull(entry.tracer), second)
      const prov = Option.getOrThrow(entry.provenance)
      assert.strictEqual(prov.source.fd, fds[1])
      assert.strictEqual(prov.candidates, 2)
      assert.strictEqual(Option.getOrNull(entry.facts.cwd), process.cwd())
      assert.isTrue(entry.facts.cmdline.includes(WRITER))
      const parents = yield* resolver.ancestors(entry)
      assert.strictEqual(parents[0]?.key.pid, process.pid)
    }).pipe(Effect.provide(live)))

  it.scopedLive("`dd-agent processes --pid PID --json` prints the tracer metadata and its tags", () =>
    Effect.gen(function*() {
      const { pid } = yield* startWriter([second])
      const cli = yield* Command.start(
        Command.make(process.execPath, path.resolve("bin/dd-agent.js"), "processes", "--pid", String(pid), "--json")
      )
      const [out, code] = yield* Effect.all([
        cli.stdout.pipe(Stream.decodeText(), Stream.mkString),
        cli.exitCode
      ], { concurrency: 2 }).pipe(Effect.timeout("30 seconds"))
      assert.strictEqual(code, 0)
      const report = JSON.parse(out.trim())
      assert.strictEqual(report.process.pid, pid)
      assert.deepStrictEqual(report.process.tracer, second)
      assert.deepStrictEqual(report.tracer_tags, [
        "tracer_service_name:checkout",
        "tracer_service_env:it",
        "tracer_service_version:9.9.9",
        "entrypoint.name:writer",
        "entrypoint.type:script"
      ])
      assert.strictEqual(report.identity.service, "checkout")
      assert.strictEqual(report.process.parent.pid, process.pid)

      const missing = yield* Command.exitCode(
        Command.make(process.execPath, path.resolve("bin/dd-agent.js"), "processes", "--pid", "999999999", "--json")
      )
      assert.notStrictEqual(missing, 0)
    }).pipe(Effect.provide(live)))

  it.scopedLive("the watcher reports the writer's exec and, once it is gone, its exit", () =>
    Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const events = yield* resolver.subscribe
      yield* Effect.forkScoped(Effect.interruptible(resolver.watch))
      const waitFor = (pred: (e: ProcessEvent) => boolean) =>
        Queue.take(events).pipe(
          Effect.repeat({ until: pred }),
          Effect.timeoutFail({ duration: Duration.seconds(15), onTimeout: () => new Error("event not seen") })
        )
      const writerScope = yield* Scope.make()
      const { pid } = yield* startWriter([second]).pipe(Scope.extend(writerScope))
      // The scan may catch the writer before it has published (then a retry finds it): wait for either.
      const started = yield* waitFor((e) =>
        e.key.pid === pid && e.type !== "exit" && Option.isSome(Option.flatMap(e.entry, (x) => x.tracer))
      )
      assert.deepStrictEqual(Option.getOrNull(Option.flatMap(started.entry, (x) => x.tracer)), second)

      yield* Scope.close(writerScope, Exit.void) // kills and reaps the writer
      const exited = yield* waitFor((e) => e.key.pid === pid && e.type === "exit")
      assert.strictEqual(exited.key.startTime, started.key.startTime)
      assert.isTrue(Option.isNone(yield* resolver.get(started.key)))
    }).pipe(Effect.provide(Layer.mergeAll(
      ResolverLayer.layerLive({
        watch: false,
        interval: Duration.millis(100),
        retry: { initial: Duration.millis(200), max: Duration.seconds(1) }
      }),
      NodeContext.layer
    ))))
})

describe("dd-agent processes watch", () => {
  it.scopedLive("streams the writer's events as JSON lines and exits cleanly on SIGINT", () =>
    Effect.gen(function*() {
      const cli = yield* Command.start(
        Command.make(process.execPath, path.resolve("bin/dd-agent.js"), "processes", "watch", "--interval", "100ms")
      )
      const lines = yield* Queue.unbounded<string>()
      yield* cli.stdout.pipe(Stream.decodeText(), Stream.splitLines, Stream.runForEach((l) => Queue.offer(lines, l)), Effect.forkScoped)
      const banner = yield* cli.stderr.pipe(Stream.decodeText(), Stream.splitLines, Stream.runHead, Effect.timeout("30 seconds"))
      assert.match(Option.getOrThrow(banner), /^watching \/proc every 100ms/)

      const writerScope = yield* Scope.make()
      const { pid } = yield* startWriter([second]).pipe(Scope.extend(writerScope))
      const waitLine = (pred: (e: { type: string; process: { pid: number } }) => boolean) =>
        Queue.take(lines).pipe(
          Effect.map((l) => JSON.parse(l)),
          Effect.repeat({ until: pred }),
          Effect.timeoutFail({ duration: Duration.seconds(15), onTimeout: () => new Error("line not seen") })
        )
      const seen = yield* waitLine((e) => e.process.pid === pid && e.type !== "exit")
      assert.oneOf(seen.type, ["exec", "fork"])
      yield* Scope.close(writerScope, Exit.void)
      const exit = yield* waitLine((e) => e.process.pid === pid && e.type === "exit")
      assert.strictEqual(exit.process.pid, pid)

      yield* cli.kill("SIGINT")
      const code = yield* cli.exitCode.pipe(Effect.timeout("10 seconds"))
      assert.strictEqual(code, 0)
    }).pipe(Effect.provide(NodeContext.layer)))
})
