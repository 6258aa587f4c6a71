import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Metric, Option, Queue, Scope, TestClock } from "effect"
import * as ProcFsMemory from "../../src/layers/process/ProcFsMemory.js"
import type { MemoryProcess } from "../../src/layers/process/ProcFsMemory.js"
import * as ResolverLayer from "../../src/layers/process/ProcessResolverLayer.js"
import * as M from "../../src/services/process/metrics.js"
import { ProcFs } from "../../src/services/process/ProcFs.js"
import type { ProcessEvent } from "../../src/services/process/ProcessEvent.js"
import { ProcessResolver } from "../../src/services/process/ProcessResolver.js"
import type { ResolverConfig } from "../../src/services/process/ResolverConfig.js"
import { fds, memfd, meta, proc } from "./fakes.js"

const watching = (initial: ReadonlyArray<MemoryProcess>, config: Partial<ResolverConfig> = {}) =>
  ResolverLayer.layerWatching(config).pipe(Layer.provideMerge(ProcFsMemory.layer(initial)))
const onDemand = (initial: ReadonlyArray<MemoryProcess>, config: Partial<ResolverConfig> = {}) =>
  ResolverLayer.layer(config).pipe(Layer.provideMerge(ProcFsMemory.layer(initial)))

const summary = (events: Iterable<ProcessEvent>) => [...events].map((e) => `${e.type} ${e.key.pid}@${e.key.startTime}`)
/** The resolver, the in-memory /proc and an event subscription, after the silent first scan. */
const watcherStarted = Effect.gen(function*() {
  const resolver = yield* ProcessResolver
  const fs = yield* ProcFsMemory.ProcFsMemory
  const q = yield* resolver.subscribe
  yield* TestClock.adjust("1 millis")
  yield* Queue.takeAll(q)
  return { resolver, fs, q }
})

/** Moves the clock and returns the events published meanwhile. */
const tick = (q: Queue.Dequeue<ProcessEvent>, d: Duration.DurationInput) =>
  Effect.zipRight(TestClock.adjust(d), Effect.map(Queue.takeAll(q), summary))

const base = [proc(1, 0, 1, "init"), proc(10, 1, 5, "bash")]
/** A traced parent (pid 40) and the memfd a child forked from it inherits. */
const parentFd = memfd("parent00", meta("parent-svc"), 10n, 77)
const tracedParent = proc(40, 10, 30, "python3", { fds: fds([3, parentFd]) })

describe("ProcessResolver watcher", () => {
  it.scoped("detects fork, exec and exit on each rescan, and drops exited entries", () =>
    Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const fs = yield* ProcFsMemory.ProcFsMemory
      const q = yield* resolver.subscribe
      assert.deepStrictEqual(yield* tick(q, "1 millis"), [], "the first scan is a silent snapshot")
      assert.strictEqual((yield* resolver.entries).length, 2)

      yield* fs.put(proc(11, 10, 20, "bash"))
      yield* fs.put(proc(12, 10, 20, "python3"))
      assert.deepStrictEqual(yield* tick(q, "1 second"), ["fork 11@20", "exec 12@20"])

      yield* fs.update(11, (p) => ({ ...p, comm: "node", exe: "/usr/bin/node" }))
      yield* fs.remove(12)
      assert.deepStrictEqual(yield* tick(q, "1 second"), ["exit 12@20", "exec 11@20"])
      assert.isTrue(Option.isNone(yield* resolver.lookup(12)))
      const node = yield* resolver.lookup(11)
      assert.deepStrictEqual(Option.map(node, (e) => Option.getOrNull(e.facts.exe)), Option.some("/usr/bin/node"))
      assert.deepStrictEqual(yield* tick(q, "1 second"), [])
    }).pipe(Effect.provide(watching(base))))

  it.scoped("never mixes two processes that reuse a pid", () =>
    Effect.gen(function*() {
      const { resolver, fs, q } = yield* watcherStarted
      const old = yield* resolver.resolve(20)
      assert.strictEqual(Option.getOrNull(old.tracer)?.service_name, "old")

      yield* fs.put(proc(20, 1, 900, "ruby")) // same pid, new incarnation, no memfd
      assert.deepStrictEqual(yield* tick(q, "1 second"), ["exit 20@100", "exec 20@900"])
      const now = yield* resolver.resolve(20)
      assert.strictEqual(now.key.startTime, 900)
      assert.isTrue(Option.isNone(now.tracer))
      assert.isTrue(Option.isNone(yield* resolver.get({ pid: 20, startTime: 100 })))
    }).pipe(Effect.provide(watching([
      ...base,
      proc(20, 1, 100, "python3", { fds: fds([3, memfd("old", meta("old"), 1n, 1)]) })
    ]))))

  it.scoped("retries late metadata at 5 s, 15 s, 35 s ... and announces it when it appears", () =>
    Effect.gen(function*() {
      const { resolver, fs, q } = yield* watcherStarted
      const retryOf = Effect.map(resolver.lookup(30), (e) => Option.getOrThrow(Option.flatMap(e, (x) => x.retry)))
      assert.deepStrictEqual(yield* retryOf, { attempt: 0, dueAt: 5_000, lastError: "NoTracerMemfd" })

      yield* tick(q, "4 seconds")
      assert.strictEqual((yield* retryOf).attempt, 0)
      yield* tick(q, "1 second") // t = 5 s: first retry
      assert.deepStrictEqual(yield* retryOf, { attempt: 1, dueAt: 15_000, lastError: "NoTracerMemfd" })
      yield* tick(q, "10 seconds") // t = 15 s: second retry
      assert.deepStrictEqual(yield* retryOf, { attempt: 2, dueAt: 35_000, lastError: "NoTracerMemfd" })

      // The tracer publishes at t = 20 s; it is seen at the next due retry (t = 35 s), not before.
      yield* tick(q, "5 seconds")
      yield* fs.update(30, (p) => ({ ...p, fds: fds([3, memfd("late0000", meta("late"), 20n, 9)]) }))
      assert.deepStrictEqual(yield* tick(q, "14 seconds"), [])
      assert.deepStrictEqual(yield* tick(q, "1 second"), ["tracer_metadata_found 30@40"])
      const entry = Option.getOrThrow(yield* resolver.lookup(30))
      assert.strictEqual(Option.getOrNull(entry.tracer)?.service_name, "late")
      assert.isTrue(Option.isNone(entry.retry))
      assert.deepStrictEqual(yield* tick(q, "10 minutes"), [], "found metadata is not re-announced")
    }).pipe(Effect.provide(watching([...base, proc(30, 10, 40, "python3")]))))

  it.scoped("caps the backoff at 5 minutes", () =>
    Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const q = yield* resolver.subscribe
      yield* tick(q, "1 millis")
      // Retries at 5, 15, 35, 75, 155, 315 s, then every 300 s: 615, 915 s.
      yield* tick(q, "916 seconds")
      const r = Option.getOrThrow(Option.flatMap(yield* resolver.lookup(30), (e) => e.retry))
      assert.strictEqual(r.attempt, 8)
      assert.strictEqual(r.dueAt, 1_215_000)
    }).pipe(Effect.provide(watching([...base, proc(30, 10, 40, "python3")], { interval: Duration.seconds(5) }))))

  it.scoped("a child inherits no metadata at fork (only a link to the parent's), and gets its own once it publishes", () =>
    Effect.gen(function*() {
      const { resolver, fs, q } = yield* watcherStarted
      yield* fs.put(proc(41, 40, 50, "python3", { fds: fds([3, parentFd]) }))
      assert.deepStrictEqual(yield* tick(q, "1 second"), ["fork 41@50"])
      const child = Option.getOrThrow(yield* resolver.lookup(41))
      assert.deepStrictEqual(Option.flatMap(child.provenance, (p) => p.inheritedFrom), Option.some(40))
      assert.isTrue(Option.isNone(child.tracer), "the parent's metadata is not the child's")
      assert.deepStrictEqual(Option.map(child.parent, (k) => k.pid), Option.some(40))
      assert.isTrue(Option.isSome(child.retry), "keeps asking: the child may republish")

      yield* fs.update(41, (p) => ({ ...p, fds: fds([3, parentFd], [5, memfd("child000", meta("child-svc"), 20n, 78)]) }))
      assert.deepStrictEqual(yield* tick(q, "5 seconds"), ["tracer_metadata_found 41@50"])
      const after = Option.getOrThrow(yield* resolver.lookup(41))
      assert.strictEqual(Option.getOrNull(after.tracer)?.service_name, "child-svc")
      assert.isTrue(Option.isNone(Option.flatMap(after.provenance, (p) => p.inheritedFrom)))
      assert.isTrue(Option.isNone(after.retry))
    }).pipe(Effect.provide(watching([
      ...base,
      tracedParent
    ]))))

  it.scoped("a child still holding its parent's memfd stays without metadata, and keeps being asked, after the parent exits", () =>
    Effect.gen(function*() {
      const { resolver, fs, q } = yield* watcherStarted
      yield* fs.put(proc(41, 40, 50, "python3", { fds: fds([3, parentFd]) }))
      assert.deepStrictEqual(yield* tick(q, "1 second"), ["fork 41@50"])
      yield* fs.remove(40)
      assert.deepStrictEqual(yield* tick(q, "1 second"), ["exit 40@30"])
      // Retries come and go with the parent gone: still the parent's memfd, still not the child's metadata.
      yield* tick(q, "10 seconds")
      const child = Option.getOrThrow(yield* resolver.lookup(41))
      assert.isTrue(Option.isNone(child.tracer))
      assert.isTrue(Option.isSome(child.retry), "keeps asking")
      yield* fs.update(41, (p) => ({ ...p, fds: fds([3, parentFd], [5, memfd("child000", meta("child-svc"), 20n, 78)]) }))
      assert.deepStrictEqual(yield* tick(q, "20 seconds"), ["tracer_metadata_found 41@50"])
      assert.strictEqual(Option.getOrNull(Option.getOrThrow(yield* resolver.lookup(41)).tracer)?.service_name, "child-svc")
    }).pipe(Effect.provide(watching([
      ...base,
      tracedParent
    ]))))

  it.scoped("without a watcher, a child resolved before its parent still does not take the parent's metadata", () =>
    Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const child = yield* resolver.resolve(41)
      assert.isTrue(Option.isNone(child.tracer))
      assert.deepStrictEqual(Option.flatMap(child.provenance, (p) => p.inheritedFrom), Option.some(40))
      assert.strictEqual(Option.getOrNull((yield* resolver.resolve(40)).tracer)?.service_name, "parent-svc")
    }).pipe(Effect.provide(onDemand([
      ...base,
      tracedParent,
      proc(41, 40, 50, "python3", { fds: fds([3, parentFd]) })
    ]))))

  it.scoped("an exec drops the old image's metadata", () =>
    Effect.gen(function*() {
      const { resolver, fs, q } = yield* watcherStarted
      assert.isTrue(Option.isSome(Option.getOrThrow(yield* resolver.lookup(50)).tracer))
      yield* fs.update(50, (p) => ({ ...p, comm: "sleep", exe: "/usr/bin/sleep", fds: fds() }))
      assert.deepStrictEqual(yield* tick(q, "1 second"), ["exec 50@60"])
      assert.isTrue(Option.isNone(Option.getOrThrow(yield* resolver.lookup(50)).tracer))
    }).pipe(Effect.provide(watching([
      ...base,
      proc(50, 10, 60, "python3", { fds: fds([3, memfd("x", meta("svc"), 1n, 5)]) })
    ]))))

  it.scoped("a process whose fds cannot be read keeps its facts and records PermissionDenied", () =>
    Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const e = yield* resolver.resolve(60)
      assert.strictEqual(Option.getOrNull(e.facts.exe), "/usr/bin/secret")
      assert.isTrue(Option.isNone(e.tracer))
      assert.strictEqual(Option.getOrNull(e.retry)?.lastError, "PermissionDenied")
      const gone = yield* Effect.flip(resolver.resolve(61))
      assert.strictEqual(gone._tag, "ProcessGone")
      const denied = yield* Effect.flip(resolver.resolve(62))
      assert.strictEqual(denied._tag, "PermissionDenied")
    }).pipe(Effect.provide(onDemand([
      ...base,
      proc(60, 1, 7, "secret", { denied: new Set(["fd", "environ"] as const) }),
      proc(62, 1, 7, "locked", { denied: new Set(["stat"] as const) })
    ]))))
})

describe("ProcessResolver cache", () => {
  it.scoped("discards metadata read while the pid was taken over by another process", () => {
    // A procfs where the process is replaced (same pid, new start time) while its memfd is being read.
    const racing = Layer.effect(
      ProcFs,
      Effect.gen(function*() {
        const inner = yield* ProcFs
        const control = yield* ProcFsMemory.ProcFsMemory
        return {
          ...inner,
          readFd: (pid: number, fd: number, max: number) =>
            Effect.zipLeft(inner.readFd(pid, fd, max), control.put(proc(pid, 1, 999, "other")))
        }
      })
    ).pipe(Layer.provideMerge(ProcFsMemory.layer([proc(70, 1, 10, "python3", { fds: fds([3, memfd("x", meta("svc"), 1n, 1)]) })])))
    return Effect.gen(function*() {
      const e = yield* (yield* ProcessResolver).resolve(70)
      assert.strictEqual(e.key.startTime, 10)
      assert.isTrue(Option.isNone(e.tracer))
      assert.strictEqual(Option.getOrNull(e.retry)?.lastError, "ProcessGone")
    }).pipe(Effect.provide(ResolverLayer.layer().pipe(Layer.provide(racing))))
  })


  it.scoped("kernel threads are resolved from stat and status only, with no tracer lookup or retry", () =>
    Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const fs = yield* ProcFsMemory.ProcFsMemory
      const e = yield* resolver.resolve(2)
      assert.isTrue(Option.isNone(e.retry))
      assert.isTrue(Option.isNone(e.facts.exe))
      assert.strictEqual(yield* fs.reads(2), 2) // stat + status
    }).pipe(Effect.provide(onDemand([proc(2, 0, 1, "kthreadd", { kernelThread: true, exe: undefined })]))))

  it.scoped("links lineage by (pid, start time) and stops at a reused parent pid", () =>
    Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const leaf = yield* resolver.resolve(12)
      assert.deepStrictEqual(leaf.parent, Option.some({ pid: 11, startTime: 6 }))
      assert.deepStrictEqual((yield* resolver.ancestors(leaf)).map((e) => e.key.pid), [11, 10, 1])
      // 14's parent pid 21 now belongs to a process younger than 14: not its parent.
      const orphan = yield* resolver.resolve(14)
      assert.deepStrictEqual(orphan.parent, Option.none())
      assert.deepStrictEqual(yield* resolver.ancestors(orphan), [])
    }).pipe(Effect.provide(onDemand([
      ...base,
      proc(11, 10, 6, "bash"),
      proc(12, 11, 7, "python3"),
      proc(14, 21, 8, "ruby"),
      proc(21, 1, 500, "impostor")
    ]))))

  it.scoped("serves hits without touching /proc and evicts least recently used entries beyond the limit", () =>
    Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const fs = yield* ProcFsMemory.ProcFsMemory
      const evictionsBefore = (yield* Metric.value(M.cacheEvictions)).count
      yield* resolver.resolve(101)
      const reads = yield* fs.reads(101)
      yield* resolver.resolve(101)
      assert.strictEqual(yield* fs.reads(101), reads, "a hit reads nothing")
      yield* resolver.resolve(102)
      yield* resolver.resolve(101) // 101 is now the most recent
      yield* resolver.resolve(103)
      assert.deepStrictEqual((yield* resolver.entries).map((e) => e.key.pid).sort(), [101, 103])
      assert.isTrue(Option.isNone(yield* resolver.lookup(102)))
      assert.strictEqual((yield* Metric.value(M.cacheEvictions)).count - evictionsBefore, 1)
    }).pipe(Effect.provide(onDemand([proc(101, 0, 1, "a"), proc(102, 0, 1, "b"), proc(103, 0, 1, "c")], { maxEntries: 2 }))))

  it.scoped("drops events for a subscriber whose buffer is full, and counts them", () =>
    Effect.gen(function*() {
      const { fs, q } = yield* watcherStarted
      const before = (yield* Metric.value(M.eventsDropped)).count
      for (const pid of [201, 202, 203]) yield* fs.put(proc(pid, 1, 9, `p${pid}`))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(summary(yield* Queue.takeAll(q)), ["exec 201@9", "exec 202@9"])
      assert.strictEqual((yield* Metric.value(M.eventsDropped)).count - before, 1)
    }).pipe(Effect.provide(watching(base, { eventBuffer: 2 }))))

  it.effect("the watcher fiber stops when the layer's scope closes", () =>
    Effect.gen(function*() {
      const control = yield* ProcFsMemory.ProcFsMemory
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(ResolverLayer.layerWatching(), scope)
      yield* TestClock.adjust("3 seconds")
      const whileRunning = yield* control.reads(1)
      assert.isAbove(whileRunning, 0)
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* control.reads(1), whileRunning, "no scan after the scope closed")
    }).pipe(Effect.provide(ProcFsMemory.layer(base))))
})
