/**
 * Datadog-style loader lines on stderr (`2026-01-01 12:00:00 UTC | TRACE-LOADER | INFO | message`), written
 * directly while the loader idles (no Effect logger loaded); LogFormat.ts writes the same lines from Effect.
 */
import type { LogLevelName } from "../../../services/loader/Config.js"

export const formatLoaderLine = (date: Date, label: string, name: string, text: string, cause?: string): string => {
  const stamp = date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")
  return `${stamp} | ${name} | ${label} | ${text}${cause ? ` | ${cause}` : ""}`
}

const order: ReadonlyArray<LogLevelName> = ["trace", "debug", "info", "warn", "error", "critical", "off"]

export interface IdleLog {
  readonly debug: (line: string) => void
  readonly info: (line: string) => void
  readonly warn: (line: string) => void
  readonly error: (line: string) => void
}

/** Lines at `minimum` and above, through `write` (stderr by default). */
export const idleLog = (minimum: LogLevelName, write: (line: string) => void = (l) => void process.stderr.write(l)): IdleLog => {
  const at = (level: LogLevelName, label: string) =>
    order.indexOf(level) < order.indexOf(minimum)
      ? () => {}
      : (line: string) => write(`${formatLoaderLine(new Date(), label, "TRACE-LOADER", line)}\n`)
  return { debug: at("debug", "DEBUG"), info: at("info", "INFO"), warn: at("warn", "WARN"), error: at("error", "ERROR") }
}
