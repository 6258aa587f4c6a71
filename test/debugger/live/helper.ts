/**
 * Runs the target helper in this process (as the target would: evaluated from its source text), with
 * the binding replaced by an array, and turns what it emits into encoded snapshot messages.
 */
import * as vm from "node:vm"
import { Either } from "effect"
import type { CaptureEvent } from "../../../src/services/debugger/CaptureEvent.js"
import { encodeSnapshot } from "../../../src/services/debugger/Envelope.js"
import { defaultEncoderOptions } from "../../../src/services/debugger/Limits.js"
import type { HitPayload } from "../../../src/services/debugger/live/HitPayload.js"
import { decodeHitPayload } from "../../../src/services/debugger/live/HitPayload.js"
import type { ConditionProbe, HelperProbe } from "../../../src/services/debugger/live/TargetHelper.js"
import {
  breakpointCondition,
  helperCall,
  installExpression,
  learnExpression
} from "../../../src/services/debugger/live/TargetHelper.js"

export interface Harness {
  readonly context: vm.Context
  readonly emitted: Array<string>
  readonly set: (index: number, probe: HelperProbe) => void
  /** Runs `body` as a function whose line `probeLine` evaluates the condition of `probes` (returns its value). */
  readonly payloads: () => ReadonlyArray<HitPayload>
  readonly run: (code: string) => unknown
}

export const defaultHelperProbe = (over: Partial<HelperProbe> = {}): HelperProbe => ({
  log: false,
  rate: 1_000_000,
  limits: [3, 100, 20, 255],
  ...over
})

export const makeHarness = (config: { budgetMs?: number; globalSnapshots?: number; globalLogs?: number } = {}): Harness => {
  const emitted: Array<string> = []
  const context = vm.createContext({ __binding: (s: string) => emitted.push(s), performance, process, Date })
  const run = (code: string) => vm.runInContext(code, context)
  run(installExpression({
    binding: "__binding",
    budgetMs: config.budgetMs ?? 1000,
    globalSnapshotsPerSecond: config.globalSnapshots ?? 1_000_000,
    globalLogsPerSecond: config.globalLogs ?? 1_000_000
  }))
  return {
    context,
    emitted,
    set: (index, probe) => {
      run(helperCall("set", index, probe))
    },
    payloads: () =>
      emitted.map((json) => {
        const d = decodeHitPayload(json)
        if (Either.isLeft(d)) throw new Error(d.left)
        return d.right
      }),
    run
  }
}

/**
 * A function `f(arg)` declared in the harness context whose body sets up locals with `setup` and then
 * evaluates the condition (as V8 would at the probe) and, when it asks to pause, the learn expression
 * with `names` (as the client would on the paused frame).
 */
export const probedFunction = (
  h: Harness,
  setup: string,
  names: ReadonlyArray<string>,
  probes: ReadonlyArray<ConditionProbe>,
  loc = 0
): ((arg?: unknown) => unknown) => {
  const cond = JSON.stringify(breakpointCondition(loc, probes))
  const learn = JSON.stringify(learnExpression(loc, names))
  return h.run(`(function probed(arg) {
    ${setup}
    if (eval(${cond})) eval(${learn});
    return arg;
  })`) as (arg?: unknown) => unknown
}

export const encode = (event: CaptureEvent): Record<string, unknown> => {
  const r = encodeSnapshot(event, { service: "svc", serviceSource: "environment", processTags: [] }, "00000000-0000-4000-8000-000000000001", defaultEncoderOptions)
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return JSON.parse(r.right.json) as Record<string, unknown>
}
