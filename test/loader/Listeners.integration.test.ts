import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import { Effect, Either, Exit, Logger, Option, Queue, Scope } from "effect"
import type { Holder, HolderEvent } from "../../src/layers/loader/idle/IdleListeners.js"
import { openListeners } from "../../src/layers/loader/Listeners.js"
import { decodeLoaderConfig, type LoaderConfig } from "../../src/services/loader/Config.js"
import { idleConfigOf } from "../../src/services/loader/IdlePlan.js"
import { freePort, portIsFree, tmpDir } from "./helpers.js"

const config = (over: Partial<LoaderConfig>) => {
  const base = decodeLoaderConfig({ file: {}, env: {}, platform: "linux" })
  if (Either.isLeft(base)) throw base.left
  return idleConfigOf({ ...base.right, ...over })
}

/** The holder's events, as a queue. */
const eventsOf = (holder: Holder) =>
  Effect.gen(function*() {
    const events = yield* Queue.unbounded<HolderEvent>()
    holder.subscribe((e) => Queue.unsafeOffer(events, e))
    return events
  })

/** A socket file nobody listens on, as a crashed agent leaves behind. */
const staleSocket = (path: string) =>
  Effect.async<void>((resume) => {
    const s = Net.createServer()
    const temp = `${path}.make`
    s.listen({ path: temp }, () => {
      Fs.renameSync(temp, path)
      s.close(() => resume(Effect.void))
    })
  })

describe("listener set", () => {
  it.scopedLive("replaces a stale socket, sets mode 0722, and never unlinks the real path on close", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      const path = Path.join(dir, "apm.socket")
      yield* staleSocket(path)
      const scope = yield* Scope.make()
      const set = yield* openListeners(config({ receiverPort: 0, receiverSocket: path })).pipe(Scope.extend(scope))
      assert.deepStrictEqual(set.listeners.map((l) => l.kind), ["unix"])
      assert.strictEqual((Fs.statSync(path).mode & 0o777).toString(8), "722")
      const events = yield* eventsOf(set)
      const client = Net.connect({ path })
      client.on("error", () => {})
      const accepted = yield* Queue.take(events)
      assert.strictEqual(accepted._tag, "Accepted")
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(Fs.statSync(path).isSocket())
      assert.deepStrictEqual(Fs.readdirSync(dir), ["apm.socket"])
      client.destroy()
    }))

  it.scopedLive("a temporary socket name left by a crashed loader with the same pid does not block binding", () =>
    Effect.gen(function*() {
      const dir = yield* tmpDir
      const path = Path.join(dir, "apm.socket")
      // The loader binds `.apm.socket.<pid>.tmp` first; a crash before the rename leaves it behind, and
      // a restarted container often runs the loader under the same pid.
      const leftover = Path.join(dir, `.apm.socket.${process.pid}.tmp`)
      yield* staleSocket(leftover)
      const scope = yield* Scope.make()
      const set = yield* openListeners(config({ receiverPort: 0, receiverSocket: path })).pipe(Scope.extend(scope))
      assert.deepStrictEqual(set.listeners.map((l) => l.kind), ["unix"])
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(Fs.readdirSync(dir), ["apm.socket"])
    }))

  it.scopedLive("a missing socket directory skips the unix listener with Datadog's error line, logged through Effect", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const log: Array<string> = []
      const set = yield* openListeners(
        config({ receiverPort: port, receiverHost: "localhost", receiverSocket: "/nonexistent-dir/apm.socket" })
      ).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ logLevel, message }) => void log.push(`${logLevel.label} ${String(message)}`))))
      )
      assert.deepStrictEqual(set.listeners.map((l) => [l.kind, l.address]), [["tcp", `127.0.0.1:${port}`]])
      assert.include(log.join("\n"), "ERROR Could not start UDS listener: socket directory does not exist: /nonexistent-dir")
      assert.include(log.join("\n"), `INFO Listening to TCP receiver at port ${port}...`)
    }))

  it.scopedLive("binds OTLP on the receiver host; closing the scope frees every port and closes held connections", () =>
    Effect.gen(function*() {
      const [port, otlp] = [yield* freePort, yield* freePort]
      const scope = yield* Scope.make()
      const set = yield* openListeners(config({ receiverPort: port, receiverSocket: "", otlpPort: Option.some(otlp) })).pipe(
        Scope.extend(scope)
      )
      assert.deepStrictEqual(set.listeners.map((l) => l.kind), ["tcp", "otlp"])
      const events = yield* eventsOf(set)
      const closed = yield* Effect.async<Net.Socket>((resume) => {
        const c = Net.connect({ host: "127.0.0.1", port: otlp })
        c.on("error", () => {})
        c.once("connect", () => resume(Effect.succeed(c)))
      })
      const ev = yield* Queue.take(events)
      assert.isTrue(ev._tag === "Accepted" && ev.conn.listener === "otlp")
      assert.strictEqual(set.held().length, 1)
      const ended = Effect.async<void>((resume) => {
        if (closed.closed) return resume(Effect.void)
        closed.once("close", () => resume(Effect.void))
      })
      yield* Scope.close(scope, Exit.void)
      yield* ended.pipe(Effect.timeout("5 seconds"))
      assert.isTrue(yield* portIsFree(port))
      assert.isTrue(yield* portIsFree(otlp))
    }))

  it.scopedLive("a port in use is a Bind error naming the listener and address", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const blocker = Net.createServer()
      yield* Effect.async<void>((resume) => void blocker.listen({ host: "127.0.0.1", port }, () => resume(Effect.void)))
      const r = yield* openListeners(config({ receiverPort: port, receiverSocket: "" })).pipe(Effect.either)
      blocker.close()
      assert.isTrue(Either.isLeft(r))
      if (Either.isLeft(r)) {
        assert.strictEqual(r.left.listener, "tcp")
        assert.strictEqual(r.left.reason, "Bind")
        assert.strictEqual(r.left.address, `127.0.0.1:${port}`)
      }
    }))
})
