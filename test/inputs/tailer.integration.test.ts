import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Chunk, Duration, Effect, Exit, Fiber, Layer, Queue, Scope, TestClock } from "effect"
import { type FileInputOptions, runFileInput, type TailEvent, type TailerSettings } from "../../src/layers/inputs/FileTailer.js"
import { layerRegistryStore, makeRegistryStore, RegistryStore, writeAtomically } from "../../src/layers/inputs/RegistryStore.js"
import type { InputLine, SourcePosition } from "../../src/services/inputs/InputLine.js"
import { fingerprintOf, parseRegistry } from "../../src/services/inputs/Registry.js"

const fast: TailerSettings = { pollInterval: "20 millis", scanInterval: "50 millis", maxLineBytes: 1024, readChunkBytes: 64, rotationGrace: "100 millis" }

const tmpDir = () => Fs.mkdtempSync(Path.join(Os.tmpdir(), "tailer-"))

/**
 * Runs a file input in its own scope, collecting lines in a queue; settles every chunk as it arrives if asked
 * (else `settle(lines)` reports the positions of the chunks those lines complete, as the sender would).
 */
const startTailer = (registryPath: string, input: FileInputOptions, autoAck: boolean, settings: Partial<TailerSettings> = {}) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const lines = yield* Queue.unbounded<InputLine>()
    const events = yield* Queue.unbounded<TailEvent>()
    const ctx = yield* Scope.extend(Layer.build(layerRegistryStore(registryPath)), scope)
    const registry = ctx.unsafeMap.get(RegistryStore.key) as RegistryStore["Type"]
    const chunks: Array<{ readonly lines: ReadonlyArray<InputLine>; readonly position: SourcePosition }> = []
    const reader = yield* runFileInput(input, (batch, position) =>
      Effect.sync(() => {
        if (position === undefined) throw new Error("a file chunk without a position")
        if (autoAck) registry.acknowledge([position])
        else chunks.push({ lines: batch, position })
      }).pipe(Effect.zipRight(Queue.offerAll(lines, batch))), { ...fast, ...settings, onEvent: (e) => Queue.unsafeOffer(events, e) }).pipe(
      Effect.provide(ctx),
      Effect.forkIn(scope)
    )
    const take = (n: number) =>
      Queue.takeBetween(lines, n, n).pipe(
        Effect.map((c) => Chunk.toReadonlyArray(c)),
        Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Error(`timed out waiting for ${n} lines`) })
      )
    /** Waits for the tailer to report an event of this kind. */
    const event = (tag: TailEvent["_tag"]) =>
      Queue.take(events).pipe(
        Effect.repeat({ until: (e) => e._tag === tag }),
        Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Error(`timed out waiting for ${tag}`) })
      )
    /** Waits for an event matching `predicate`. */
    const eventMatching = (predicate: (e: TailEvent) => boolean) =>
      Queue.take(events).pipe(
        Effect.repeat({ until: predicate }),
        Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Error("timed out waiting for an event") })
      )
    return {
      take,
      event,
      events,
      eventMatching,
      lines,
      /** Ends reading only; the registry stays open (as in an orderly agent stop). */
      stopReading: Fiber.interrupt(reader),
      /** Settles the chunks whose lines are all among `settled`, in the order given. */
      settle: (settled: ReadonlyArray<InputLine>) => {
        const set = new Set(settled)
        for (const c of chunks) if (c.lines.every((l) => set.has(l))) registry.acknowledge([c.position])
      },
      stop: Scope.close(scope, Exit.void),
      registry
    }
  })

const texts = (ls: ReadonlyArray<InputLine>) => ls.map((l) => l.text)

describe("file tailing", () => {
  it.live("follows appends, rename rotation, truncation, and files that appear later", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const a = Path.join(dir, "a.log")
      Fs.writeFileSync(a, "old line before start\n")
      const t = yield* startTailer(Path.join(dir, "registry.json"), { path: Path.join(dir, "*.log"), service: "web", tags: ["env:test"] }, true)
      // Present at start: begins at its end.
      yield* t.event("Opened")
      Fs.appendFileSync(a, "one\ntwo\r\nthr")
      const first = yield* t.take(2)
      assert.deepStrictEqual(texts(first), ["one", "two"])
      assert.deepStrictEqual(first[0]!.tags, ["service:web", "env:test"])
      Fs.appendFileSync(a, "ee\n")
      assert.deepStrictEqual(texts(yield* t.take(1)), ["three"])
      // Rotation by rename: the rest of the old file is read, then the new file from its start.
      Fs.appendFileSync(a, "last of old\n")
      Fs.renameSync(a, Path.join(dir, "a.log.1"))
      Fs.writeFileSync(a, "first of new\n")
      assert.deepStrictEqual(texts(yield* t.take(2)), ["last of old", "first of new"])
      yield* t.event("Rotated")
      // Truncation: reading starts over.
      Fs.truncateSync(a, 0)
      yield* t.event("Truncated")
      Fs.writeFileSync(a, "after truncate\n")
      assert.deepStrictEqual(texts(yield* t.take(1)), ["after truncate"])
      // A file that appears later is read from its beginning.
      Fs.writeFileSync(Path.join(dir, "b.log"), "b1\nb2\n")
      assert.deepStrictEqual(texts(yield* t.take(2)), ["b1", "b2"])
      yield* t.stop
      Fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("after a rename rotation, lines still appended to the old file are read before the new file", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const a = Path.join(dir, "a.log")
      Fs.writeFileSync(a, "")
      // A generous grace so the append below lands inside it even on a loaded machine.
      const t = yield* startTailer(Path.join(dir, "registry.json"), { path: a }, true, { rotationGrace: "1500 millis" })
      yield* t.event("Opened")
      Fs.renameSync(a, Path.join(dir, "a.log.1"))
      Fs.writeFileSync(a, "first of new\n")
      yield* t.event("Rotated")
      // The writer has not reopened the path yet: it still appends to the renamed file.
      Fs.appendFileSync(Path.join(dir, "a.log.1"), "late to old\n")
      assert.deepStrictEqual(texts(yield* t.take(2)), ["late to old", "first of new"])
      yield* t.stop
      Fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("a glob that also matches the rotated name reads the renamed file once, continuing where it was", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const a = Path.join(dir, "a.log")
      const old = Path.join(dir, "a.log.1")
      Fs.writeFileSync(a, "")
      const t = yield* startTailer(Path.join(dir, "registry.json"), { path: Path.join(dir, "a.log*") }, true)
      yield* t.event("Opened")
      Fs.appendFileSync(a, "one\ntwo\n")
      assert.deepStrictEqual(texts(yield* t.take(2)), ["one", "two"])
      Fs.renameSync(a, old)
      Fs.writeFileSync(a, "new\n")
      assert.deepStrictEqual(texts(yield* t.take(1)), ["new"])
      // The renamed file gets its own tailer once the rotation grace is over: it starts where reading
      // stopped, not at 0 (which would send "one" and "two" again).
      const opened = yield* t.eventMatching((e) => e._tag === "Opened" && e.path === old)
      assert.strictEqual(opened._tag === "Opened" && opened.offset, Fs.statSync(old).size)
      Fs.appendFileSync(old, "late\n")
      assert.deepStrictEqual(texts(yield* t.take(1)), ["late"])
      assert.strictEqual(Chunk.size(yield* Queue.takeAll(t.lines)), 0)
      yield* t.stop
      Fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.live("acknowledgements that arrive after reading stopped still advance the registry (orderly stop)", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const f = Path.join(dir, "app.log")
      Fs.writeFileSync(f, "")
      const t = yield* startTailer(Path.join(dir, "registry.json"), { path: f }, false)
      yield* t.event("Opened")
      Fs.appendFileSync(f, "a\nb\n")
      const got = yield* t.take(2)
      yield* t.stopReading
      t.settle(got)
      assert.strictEqual(t.registry.get(f)?.offset, 4)
      yield* t.stop
    }))

  it.live("a renamed file handed to its new name keeps its acknowledged offset, not its read position", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const a = Path.join(dir, "a.log")
      const old = Path.join(dir, "a.log.1")
      Fs.writeFileSync(a, "")
      const t = yield* startTailer(Path.join(dir, "registry.json"), { path: Path.join(dir, "a.log*") }, false)
      yield* t.event("Opened")
      Fs.appendFileSync(a, "one\ntwo\n")
      const got = yield* t.take(2)
      Fs.renameSync(a, old)
      Fs.writeFileSync(a, "")
      // Both opened: the renamed file under its new name, and the new file under the old name.
      const opened = new Set<string>()
      yield* t.eventMatching((e) => {
        if (e._tag === "Opened") opened.add(e.path)
        return opened.has(old) && opened.has(a)
      })
      assert.strictEqual(t.registry.get(old)?.offset, 0, "nothing was acknowledged yet")
      t.settle(got)
      assert.strictEqual(t.registry.get(old)?.offset, 8, "acks of lines read under the old name count for the new one")
      assert.notStrictEqual(t.registry.get(a)?.ino, t.registry.get(old)?.ino)
      yield* t.stop
    }))

  it.live("over-long lines are cut into marked pieces of the limit", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const f = Path.join(dir, "x.log")
      Fs.writeFileSync(f, "")
      const t = yield* startTailer(Path.join(dir, "registry.json"), { path: f }, true)
      yield* t.event("Opened")
      Fs.appendFileSync(f, "y".repeat(2500) + "\nshort\n")
      const got = yield* t.take(4)
      assert.deepStrictEqual(got.map((l) => l.text.length), [1024, 1024, 452, 5])
      yield* t.stop
    }))

  it.live("a restart resumes at the last acknowledged line: nothing lost, only unacked lines sent again", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const f = Path.join(dir, "app.log")
      const registry = Path.join(dir, "registry.json")
      Fs.writeFileSync(f, "")
      const t1 = yield* startTailer(registry, { path: f }, false)
      yield* t1.event("Opened")
      // Three chunks: [l1, l2], [l3], [l4].
      Fs.appendFileSync(f, "l1\nl2\n")
      const a = yield* t1.take(2)
      Fs.appendFileSync(f, "l3\n")
      yield* t1.take(1)
      Fs.appendFileSync(f, "l4\n")
      const c = yield* t1.take(1)
      // Settled out of order; only the contiguous prefix (l1, l2) counts.
      t1.settle(c)
      t1.settle(a)
      yield* t1.stop
      const saved = parseRegistry(Fs.readFileSync(registry, "utf8"))
      assert.strictEqual(saved._tag, "Right")
      if (saved._tag === "Right") assert.strictEqual(saved.right.files[f]!.offset, "l1\nl2\n".length)
      Fs.appendFileSync(f, "l5\n")
      const t2 = yield* startTailer(registry, { path: f }, true)
      assert.deepStrictEqual(texts(yield* t2.take(3)), ["l3", "l4", "l5"])
      yield* t2.stop
    }))

  it.live("a different file that got the same inode (other first bytes) is read from its start", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const f = Path.join(dir, "app.log")
      const registry = Path.join(dir, "registry.json")
      Fs.writeFileSync(f, "a1\na2\na3\n")
      const t1 = yield* startTailer(registry, { path: f, startPosition: "beginning" }, true)
      assert.deepStrictEqual(texts(yield* t1.take(3)), ["a1", "a2", "a3"])
      yield* t1.stop
      // Rewritten in place while the agent is down: the same device and inode now hold another file, longer
      // than the registered offset.
      Fs.writeFileSync(f, "b1\nb2\nb3\nb4\n")
      const saved = parseRegistry(Fs.readFileSync(registry, "utf8"))
      assert.strictEqual(saved._tag === "Right" && saved.right.files[f]!.ino, Fs.statSync(f).ino)
      const t2 = yield* startTailer(registry, { path: f }, true)
      assert.deepStrictEqual(texts(yield* t2.take(4)), ["b1", "b2", "b3", "b4"])
      yield* t2.stop
    }))

  it.live("the same short file, appended to while the agent was down, resumes where it was", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const f = Path.join(dir, "app.log")
      const registry = Path.join(dir, "registry.json")
      Fs.writeFileSync(f, "")
      const t1 = yield* startTailer(registry, { path: f }, true)
      yield* t1.event("Opened")
      Fs.appendFileSync(f, "a1\na2\n")
      yield* t1.take(2)
      Fs.appendFileSync(f, "a3\n")
      yield* t1.take(1)
      yield* t1.stop
      Fs.appendFileSync(f, "a4\n")
      const t2 = yield* startTailer(registry, { path: f }, true)
      assert.deepStrictEqual(texts(yield* t2.take(1)), ["a4"])
      yield* t2.stop
    }))

  it.live("a registry write that fails after creating its temporary file removes it", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const registry = Path.join(dir, "registry.json")
      // A non-empty directory where the registry should be: the final rename fails.
      Fs.mkdirSync(registry)
      Fs.writeFileSync(Path.join(registry, "keep"), "")
      const result = yield* Effect.exit(writeAtomically(registry, "{\"version\":1,\"files\":{}}"))
      assert.isTrue(Exit.isFailure(result))
      assert.deepStrictEqual(Fs.readdirSync(dir), ["registry.json"])
    }))

  it.scopedLive("temporary files a crashed writer left are removed when the registry is loaded", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const registry = Path.join(dir, "registry.json")
      Fs.writeFileSync(`${registry}.tmp-99999999`, "{\"version\":1,")
      Fs.writeFileSync(Path.join(dir, "other.tmp-1"), "not ours")
      yield* makeRegistryStore(registry, "1 hour")
      assert.deepStrictEqual(Fs.readdirSync(dir).sort(), ["other.tmp-1"])
    }))

  it.scoped("registry entries are stamped by the Clock service (TestClock here), not the wall clock", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      yield* TestClock.adjust("5 seconds")
      const store = yield* makeRegistryStore(Path.join(dir, "registry.json"), "1 hour")
      store.track("/var/log/a.log", { id: store.newSource(), dev: 1, ino: 2, fingerprint: fingerprintOf(Buffer.from("a\n")), start: 0 })
      const files = (yield* store.snapshot).files
      assert.strictEqual(files["/var/log/a.log"]!.updatedAt, 5000)
    }))

  it.live("a flush in progress and the final flush on close do not overlap: the last state is on disk", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const registry = Path.join(dir, "registry.json")
      const scope = yield* Scope.make()
      const store = yield* makeRegistryStore(registry, "1 hour").pipe(Scope.extend(scope))
      const set = (offset: number) => Effect.sync(() => store.set("/x", { offset, dev: 1, ino: 2, updatedAt: 0 }))
      // Each round, a second flush with a newer entry starts while the first one is writing.
      for (let round = 1; round <= 20; round++) {
        yield* set(2 * round - 1)
        yield* Effect.all([store.flush, Effect.zipRight(set(2 * round), store.flush)], { concurrency: "unbounded" })
      }
      yield* set(41)
      yield* Effect.all([store.flush, Scope.close(scope, Exit.void)], { concurrency: "unbounded" })
      const saved = parseRegistry(Fs.readFileSync(registry, "utf8"))
      assert.strictEqual(saved._tag === "Right" && saved.right.files["/x"]!.offset, 41)
      assert.deepStrictEqual(Fs.readdirSync(dir), ["registry.json"])
    }))

  it.live("a pattern that cannot be expanded and a file that cannot be read are reported, not taken as no input", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      // A symbolic link to itself: stat fails with ELOOP (an error, unlike a path that does not exist).
      const loop = Path.join(dir, "loop.log")
      Fs.symlinkSync(loop, loop)
      const looped = yield* startTailer(Path.join(dir, "registry.json"), { path: loop }, true)
      const expandFailed = yield* looped.event("Failed")
      assert.isTrue(expandFailed._tag === "Failed" && expandFailed.error.operation === "glob" && expandFailed.error.input === loop)
      assert.include(expandFailed._tag === "Failed" ? expandFailed.error.message : "", "ELOOP")
      yield* looped.stop
      // A directory the glob matches opens, but reading it fails (EISDIR): reported with its path, not end of input.
      const notFile = Path.join(dir, "dir.log")
      Fs.mkdirSync(notFile)
      const reading = yield* startTailer(Path.join(dir, "registry.json"), { path: Path.join(dir, "dir*.log") }, true)
      const readFailed = yield* reading.event("Failed")
      assert.isTrue(readFailed._tag === "Failed" && readFailed.error.operation === "read" && readFailed.error.input === notFile)
      assert.include(readFailed._tag === "Failed" ? readFailed.error.message : "", "EISDIR")
      yield* reading.stop
      // A path that does not exist is no input, and no failure.
      const absent = yield* startTailer(Path.join(dir, "registry.json"), { path: Path.join(dir, "absent.log") }, true)
      Fs.writeFileSync(Path.join(dir, "absent.log"), "")
      const opened = yield* absent.event("Opened")
      assert.strictEqual(opened._tag, "Opened")
      assert.strictEqual(yield* Queue.size(absent.events), 0)
      yield* absent.stop
      Fs.rmSync(dir, { recursive: true })
    }))

  it.live("a registry write that fails leaves the previous registry intact", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const registry = Path.join(dir, "registry.json")
      yield* writeAtomically(registry, JSON.stringify({ version: 1, files: { "/x": { offset: 7, dev: 1, ino: 2, updatedAt: 3 } } }))
      // The temporary file's name is taken by a directory, so the write fails before any rename.
      Fs.mkdirSync(`${registry}.tmp-${process.pid}`)
      const result = yield* Effect.exit(writeAtomically(registry, "{\"version\":1,\"files\":{}}"))
      assert.isTrue(Exit.isFailure(result))
      const kept = parseRegistry(Fs.readFileSync(registry, "utf8"))
      assert.strictEqual(kept._tag === "Right" && kept.right.files["/x"]!.offset, 7)
    }))

  it.scopedLive("a failed registry write is retried by the next flush", () =>
    Effect.gen(function*() {
      const dir = tmpDir()
      const registry = Path.join(dir, "registry.json")
      const store = yield* makeRegistryStore(registry, "1 hour")
      store.set("/x", { offset: 9, dev: 1, ino: 2, updatedAt: 3 })
      const blocker = `${registry}.tmp-${process.pid}`
      Fs.mkdirSync(blocker)
      assert.isTrue(Exit.isFailure(yield* Effect.exit(store.flush)))
      Fs.rmdirSync(blocker)
      yield* store.flush
      const saved = parseRegistry(Fs.readFileSync(registry, "utf8"))
      assert.strictEqual(saved._tag === "Right" && saved.right.files["/x"]!.offset, 9)
    }))
})
