/**
 * Live probes: what a user asks for (`FILE:LINE`, an optional condition, an optional log template) and
 * their parsing. Pure.
 */
import { Either } from "effect"
import type { CaptureLimits } from "../CaptureEvent.js"
import { InvalidProbeSpec } from "./errors.js"
import type { InvalidTemplate } from "./errors.js"
import type { LogTemplate } from "./Template.js"
import { parseLogTemplate } from "./Template.js"

/** A live probe: a snapshot probe, or a log probe when it has a template. */
export interface LiveProbe {
  readonly id: string
  /** The end of a script path or of an original source path (`src/cart.ts`). */
  readonly file: string
  /** 1-based line of that file. */
  readonly line: number
  /** JavaScript expression evaluated by V8 in the probed frame; the probe fires only when it is truthy. */
  readonly condition?: string | undefined
  /** Log probe: the message template; no snapshot is captured. */
  readonly template?: LogTemplate | undefined
  readonly limits?: CaptureLimits | undefined
  /** Per-probe rate; default 1 snapshot/s, 5,000 log lines/s. */
  readonly perSecond?: number | undefined
}

export interface FileLine {
  readonly file: string
  readonly line: number
}

/** Parses `FILE:LINE` (the last colon separates them, so `C:`-free paths with colons still work). */
export const parseFileLine = (spec: string): Either.Either<FileLine, InvalidProbeSpec> => {
  const colon = spec.lastIndexOf(":")
  if (colon <= 0) return Either.left(new InvalidProbeSpec({ spec, rule: "expected FILE:LINE" }))
  const file = spec.slice(0, colon).trim()
  const lineText = spec.slice(colon + 1).trim()
  if (!/^[1-9][0-9]{0,8}$/.test(lineText)) {
    return Either.left(new InvalidProbeSpec({ spec, rule: "LINE must be a positive integer" }))
  }
  if (file === "") return Either.left(new InvalidProbeSpec({ spec, rule: "FILE is empty" }))
  return Either.right({ file, line: Number(lineText) })
}

export interface ProbeOptions {
  readonly id?: string | undefined
  readonly condition?: string | undefined
  readonly template?: string | undefined
  readonly limits?: CaptureLimits | undefined
  readonly perSecond?: number | undefined
}

/** A probe from `FILE:LINE` and options; the id defaults to the spec itself. */
export const makeProbe = (
  spec: string,
  options: ProbeOptions = {}
): Either.Either<LiveProbe, InvalidProbeSpec | InvalidTemplate> =>
  Either.gen(function*() {
    const at = yield* parseFileLine(spec)
    const condition = options.condition?.trim()
    if (condition !== undefined && condition === "") {
      return yield* Either.left(new InvalidProbeSpec({ spec, rule: "the condition is empty" }))
    }
    const template = options.template === undefined ? undefined : yield* parseLogTemplate(options.template)
    if (options.perSecond !== undefined && !(options.perSecond > 0)) {
      return yield* Either.left(new InvalidProbeSpec({ spec, rule: "the rate must be positive" }))
    }
    return {
      id: options.id ?? `${at.file}:${at.line}`,
      file: at.file,
      line: at.line,
      condition,
      template,
      limits: options.limits,
      perSecond: options.perSecond
    }
  })

/** Default per-probe rates (Datadog's): 1 snapshot/s, 5,000 log lines/s. */
export const defaultSnapshotsPerSecond = 1
export const defaultLogsPerSecond = 5000
/** Global rates across all probes of one target. */
export const defaultGlobalSnapshotsPerSecond = 25
export const defaultGlobalLogsPerSecond = 5000

export const rateOf = (p: LiveProbe): number =>
  p.perSecond ?? (p.template === undefined ? defaultSnapshotsPerSecond : defaultLogsPerSecond)
