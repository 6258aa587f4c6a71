/** Builders for capture events and values used across the debugger tests. */
import type { CaptureEvent, Value } from "../../src/services/debugger/CaptureEvent.js"
import type { ProcessIdentity } from "../../src/services/debugger/ProcessInfo.js"

export const int = (n: number): Value => ({ kind: "scalar", type: "int", value: n })
export const str = (s: string, size?: number): Value => ({ kind: "string", value: s, ...(size === undefined ? {} : { size }) })
export const struct = (type: string, fields: ReadonlyArray<readonly [string, Value]>): Value => ({ kind: "struct", type, fields })
export const ptr = (type: string, address: string): Value => ({ kind: "pointer", type, address })
export const arr = (type: string, elements: ReadonlyArray<Value>, length?: number): Value => ({
  kind: "array", type, elements, ...(length === undefined ? {} : { length })
})

export const identity: ProcessIdentity = {
  service: "svc", hostname: "host-1", processTags: [], serviceSource: "tracer"
}

export const event = (over: Partial<CaptureEvent> = {}): CaptureEvent => ({
  probe: { id: "p", version: 1, location: { method: "f" } },
  pid: 1,
  language: "go",
  timestamp: 1000,
  thread: { id: 1 },
  ...over
})

export const withArgs = (args: Record<string, Value>, over: Partial<CaptureEvent> = {}): CaptureEvent =>
  event({ captures: { entry: { arguments: args } }, ...over })

/** Parsed `captures.entry.arguments` of an encoded message. */
export const argsOf = (json: string): Record<string, any> => JSON.parse(json).debugger.snapshot.captures.entry.arguments
