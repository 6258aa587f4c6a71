/**
 * Log lines from the idle code's plain callbacks (its `debug`, `info`, `error`) written through Effect's logger,
 * without running an Effect inside a callback: the callback offers the line to a mailbox, and a fiber of the
 * caller's scope logs the lines in order, with the caller's logger and level. Closing the scope ends the mailbox
 * and waits for that fiber, so every line offered before is logged by then.
 */
import { Effect, Fiber, type LogLevel, Mailbox, type Scope, Stream } from "effect"

/** A line at `level`, offered from a plain callback. */
export type LogLine = (level: LogLevel.LogLevel) => (line: string) => void

export const callbackLog: Effect.Effect<LogLine, never, Scope.Scope> = Effect.gen(function*() {
  // Unbounded: a line is offered per listener bound or connection event, and the fiber logs it at the next turn.
  const lines = yield* Mailbox.make<readonly [LogLevel.LogLevel, string]>()
  const writer = yield* Mailbox.toStream(lines).pipe(
    Stream.runForEach(([level, line]) => Effect.logWithLevel(level, line)),
    Effect.forkScoped
  )
  yield* Effect.addFinalizer(() => Effect.zipRight(lines.end, Fiber.join(writer)))
  return (level) => (line) => void lines.unsafeOffer([level, line])
})
