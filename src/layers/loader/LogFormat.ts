/**
 * Datadog-style log lines on stderr (`2026-01-01 12:00:00 UTC | TRACE-LOADER | INFO | message`),
 * so operators can grep loader lines as before, and stdout stays the agent's.
 */
import { Cause, Effect, FiberRef, HashMap, HashSet, Logger, type LogLevel } from "effect"
import { formatLoaderLine } from "./idle/IdleLog.js"

const levelName = (l: LogLevel.LogLevel): string => {
  switch (l._tag) {
    case "Warning":
      return "WARN"
    case "Fatal":
      return "CRITICAL"
    default:
      return l.label
  }
}

const text = (m: unknown): string =>
  Array.isArray(m) ? m.map(text).join(" ") : typeof m === "string" ? m : JSON.stringify(m)

export const formatLine = (date: Date, level: LogLevel.LogLevel, name: string, message: unknown, cause?: string) =>
  formatLoaderLine(date, levelName(level), name, text(message), cause)

export const loaderLogger = Logger.make(({ annotations, cause, date, logLevel, message }) => {
  const name = HashMap.get(annotations, "logger")
  const causeText = Cause.isEmpty(cause) ? undefined : Cause.pretty(cause)
  process.stderr.write(
    formatLine(date, logLevel, name._tag === "Some" ? String(name.value) : "TRACE-LOADER", message, causeText) + "\n"
  )
})

/**
 * Makes the Datadog-style stderr logger the only logger (the runtime may have installed a pretty
 * logger on stdout, which belongs to the agent once it runs).
 */
export const withLoaderLogger = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(self, FiberRef.currentLoggers, HashSet.make(loaderLogger))
