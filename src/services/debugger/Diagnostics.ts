/**
 * Probe diagnostics: EMITTING on the first emitted snapshot of a probe version, ERROR when encoding
 * fails, each (probe id, version, status) sent once for the life of the process.
 */
import { quote } from "./Json.js"

export type ProbeStatus = "EMITTING" | "ERROR"

export interface Diagnostic {
  readonly service: string
  readonly probeId: string
  readonly probeVersion: number
  readonly status: ProbeStatus
  readonly timestamp: number
  readonly runtimeId?: string | undefined
  readonly exception?: { readonly type: string; readonly message: string } | undefined
}

export const diagnosticKey = (probeId: string, version: number, status: ProbeStatus): string =>
  `${probeId}\n${version}\n${status}`

/** Remembers which diagnostics were sent; bounded, forgetting the oldest keys first. */
export class DiagnosticsSeen {
  private readonly seen = new Set<string>()
  constructor(private readonly max = 65_536) {}
  /** true the first time a key is offered. */
  firstTime(key: string): boolean {
    if (this.seen.has(key)) return false
    if (this.seen.size >= this.max) {
      const oldest = this.seen.values().next()
      if (oldest.done !== true) this.seen.delete(oldest.value)
    }
    this.seen.add(key)
    return true
  }
}

export const diagnosticJson = (d: Diagnostic): string =>
  `{"service":${quote(d.service)},"ddsource":"dd_debugger","timestamp":${Math.trunc(d.timestamp)},` +
  `"debugger":{"type":"diagnostic","diagnostics":{"probeId":${quote(d.probeId)},"probeVersion":${d.probeVersion},` +
  (d.runtimeId === undefined ? "" : `"runtimeId":${quote(d.runtimeId)},`) +
  `"status":"${d.status}"` +
  (d.exception === undefined
    ? ""
    : `,"exception":{"type":${quote(d.exception.type)},"message":${quote(d.exception.message)}}`) +
  "}}}"
