import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option } from "effect"
import { ProcessInfo } from "../../src/services/debugger/ProcessInfo.js"
import { ProcessInfoProc, ProcessInfoStatic, ProcessInfoTableOver } from "../../src/layers/debugger/ProcessInfoLayers.js"

/** A fake /proc in a temporary directory, removed with the scope. */
const fakeProc = Effect.acquireRelease(
  Effect.sync(() => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dd-proc-"))
    fs.mkdirSync(path.join(root, "100"))
    fs.writeFileSync(path.join(root, "100", "environ"), "HOME=/root\0DD_SERVICE=orders\0DD_VERSION=2.0\0")
    fs.symlinkSync("/usr/bin/orders-bin", path.join(root, "100", "exe"))
    fs.mkdirSync(path.join(root, "200"))
    fs.symlinkSync("/opt/tools/worker (deleted)", path.join(root, "200", "exe"))
    // An environ that cannot be read (EISDIR here; EACCES or EIO on a real /proc), not a missing one.
    fs.mkdirSync(path.join(root, "400", "environ"), { recursive: true })
    fs.symlinkSync("/usr/bin/batch", path.join(root, "400", "exe"))
    return root
  }),
  (root) => Effect.sync(() => fs.rmSync(root, { recursive: true, force: true }))
)

describe("ProcessInfo from /proc", () => {
  it.scoped("reads DD_* from environ, falls back to the executable name, and knows nothing of missing pids", () =>
    Effect.gen(function*() {
      const root = yield* fakeProc
      yield* Effect.gen(function*() {
        const info = yield* ProcessInfo
        const a = Option.getOrThrow(yield* info.lookup(100))
        assert.deepStrictEqual([a.service, a.version, a.serviceSource, a.hostname], ["orders", "2.0", "environment", os.hostname()])
        const b = Option.getOrThrow(yield* info.lookup(200))
        assert.deepStrictEqual([b.service, b.serviceSource], ["worker", "executable"])
        assert.isTrue(Option.isNone(yield* info.lookup(300)))
      }).pipe(Effect.provide(ProcessInfoProc(root)))
    }))

  it.scoped("a read that fails for another reason than absence is logged with its path, and the rest still resolves", () =>
    Effect.gen(function*() {
      const root = yield* fakeProc
      const logged: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => { logged.push(String(message)) }))
      yield* Effect.gen(function*() {
        const info = yield* ProcessInfo
        yield* info.lookup(100)
        yield* info.lookup(300)
        assert.deepStrictEqual(logged, [], "a complete or vanished process logs nothing")
        const c = Option.getOrThrow(yield* info.lookup(400))
        assert.deepStrictEqual([c.service, c.serviceSource], ["batch", "executable"])
        assert.strictEqual(logged.length, 1)
        assert.include(logged[0], `${root}/400/environ`)
        assert.include(logged[0], "EISDIR")
      }).pipe(Effect.provide(Layer.merge(ProcessInfoProc(root), capture)))
    }))

  it.effect("a table answers for its pids and defers the others", () =>
    Effect.gen(function*() {
      const info = yield* ProcessInfo
      assert.strictEqual(Option.getOrThrow(yield* info.lookup(1)).service, "from-table")
      assert.strictEqual(Option.getOrThrow(yield* info.lookup(2)).service, "fallback")
    }).pipe(Effect.provide(
      ProcessInfoTableOver(new Map([[1, { tracer: { service_name: "from-table" } }]])).pipe(
        Layer.provide(ProcessInfoStatic(new Map(), { env: { DD_SERVICE: "fallback" } }))
      )
    )))
})
