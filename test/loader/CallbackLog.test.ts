/** Lines from plain callbacks logged through Effect's logger (no Effect run inside the callback). */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Logger, LogLevel } from "effect"
import { callbackLog } from "../../src/layers/loader/CallbackLog.js"

/** A logger that records `LEVEL message` lines and calls `onLine` after each. */
const capture = (onLine: (line: string) => void = () => {}) => {
  const lines: Array<string> = []
  const layer = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ logLevel, message }) => {
      const line = `${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`
      lines.push(line)
      onLine(line)
    })
  )
  return { lines, layer }
}

/** The lines logged when `offer` runs in callbackLog's scope under the `minimum` level, the scope closing at once. */
const loggedBy = (minimum: LogLevel.LogLevel, offer: (log: Effect.Effect.Success<typeof callbackLog>) => void) =>
  Effect.gen(function*() {
    const { layer, lines } = capture()
    yield* Effect.scoped(Effect.map(callbackLog, offer)).pipe(Effect.provide(layer), Logger.withMinimumLogLevel(minimum))
    return lines
  })

describe("callbackLog", () => {
  it.effect("every line offered before the scope closes is logged by then, in order, at its level", () =>
    Effect.gen(function*() {
      const lines = yield* loggedBy(LogLevel.Debug, (log) => {
        // Offered synchronously, as the idle code's callbacks do, and the scope closes at once.
        log(LogLevel.Info)("Listening to TCP receiver at port 8126...")
        log(LogLevel.Debug)("Accepted connection on tcp listener: 21")
        log(LogLevel.Error)("Could not start UDS listener")
      })
      assert.deepStrictEqual(lines, [
        "INFO Listening to TCP receiver at port 8126...",
        "DEBUG Accepted connection on tcp listener: 21",
        "ERROR Could not start UDS listener"
      ])
    }))

  it.effect("uses the caller's minimum level: a debug line under an info minimum is not logged", () =>
    Effect.gen(function*() {
      const lines = yield* loggedBy(LogLevel.Info, (log) => {
        log(LogLevel.Debug)("hidden")
        log(LogLevel.Info)("shown")
      })
      assert.deepStrictEqual(lines, ["INFO shown"])
    }))

  it.live("lines are logged while the scope is open, not only when it closes", () =>
    Effect.gen(function*() {
      const logged = yield* Deferred.make<string>()
      const { layer } = capture((line) => Deferred.unsafeDone(logged, Exit.succeed(line)))
      yield* Effect.scoped(
        Effect.gen(function*() {
          const log = yield* callbackLog
          setImmediate(() => log(LogLevel.Info)("from a Node callback"))
          assert.strictEqual(yield* Deferred.await(logged).pipe(Effect.timeout("5 seconds")), "INFO from a Node callback")
        })
      ).pipe(Effect.provide(layer))
    }))
})
