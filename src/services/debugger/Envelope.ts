/**
 * Pure snapshot encoder: capture event + process identity + id → the snapshot message JSON.
 * Envelope keys follow the current Go producer with the defects listed in the format reference fixed:
 * nested `logger` and `dd` objects, `probe.version` and `location.lines` as strings, evaluation errors
 * only under `debugger.snapshot`, a message always present, one `size` representation (a number).
 */
import { Either } from "effect"
import type { CaptureContext, CaptureEvent, EvaluationError, Frame, Value } from "./CaptureEvent.js"
import { SnapshotTooLarge } from "./errors.js"
import { quote } from "./Json.js"
import type { EncoderOptions } from "./Limits.js"
import { defaultEncoderOptions, resolveLimits } from "./Limits.js"
import { renderMessage } from "./Message.js"
import type { ProcessIdentity } from "./ProcessInfo.js"
import type { Part } from "./ValueEncoder.js"
import { fixedNode, prune, render, ValueEncoder } from "./ValueEncoder.js"

export interface EncodedSnapshot {
  readonly json: string
  /** UTF-8 length of `json`. */
  readonly bytes: number
  readonly probeId: string
  readonly probeVersion: number
  /** Values replaced by `pruned` placeholders to fit the byte budget. */
  readonly pruned: number
  readonly evaluationErrors: ReadonlyArray<EvaluationError>
}

/** Collects literal text and child nodes of a fixed container. */
class Assembly {
  readonly seps: Array<string> = [""]
  readonly kids: Array<Part> = []
  lit(s: string): void {
    this.seps[this.seps.length - 1] += s
  }
  kid(n: Part): void {
    this.kids.push(n)
    this.seps.push("")
  }
}

const u64 = (1n << 64n) - 1n
const u128 = (1n << 128n) - 1n

/** Trace id as 32 lower-case hex digits: 32-digit input is hex, shorter all-digit input is decimal. */
export const traceIdHex = (id: string): string => {
  const n = /^[0-9]{1,31}$/.test(id) || id.length > 32 ? BigInt(id) : BigInt(`0x${id}`)
  return (n & u128).toString(16).padStart(32, "0")
}

const frameText = (f: Frame): string =>
  "pc" in f
    ? `{"function":"${f.pc}","fileName":"","lineNumber":0}`
    : `{"function":${quote(f.function)},"fileName":${quote(f.file)},"lineNumber":${f.line}${
      f.column === undefined ? "" : `,"columnNumber":${f.column}`
    }}`

const scopes = ["arguments", "locals", "captureExpressions"] as const

const sortedLines = (lines: Readonly<Record<string, CaptureContext>>): Array<[string, CaptureContext]> =>
  Object.entries(lines).sort(([a], [b]) => Number(a) - Number(b))

/**
 * Encodes one snapshot message from an event that satisfies the CaptureEvent schema (decode input with
 * EventDecoder first: the encoder relies on its rules, e.g. unique struct field names). Values are encoded once; if the message is over the byte budget the
 * deepest, then last, values become `{"type":…,"notCapturedReason":"pruned"}`. Fails only when the
 * message cannot fit even with every value pruned.
 */
export const encodeSnapshot = (
  event: CaptureEvent,
  identity: ProcessIdentity,
  id: string,
  options: EncoderOptions = defaultEncoderOptions
): Either.Either<EncodedSnapshot, SnapshotTooLarge> => {
  const probe = event.probe
  const limits = resolveLimits(probe.capture)
  const rendered = renderMessage(event, limits)
  const errors: Array<EvaluationError> = [...(event.evaluationErrors ?? []), ...rendered.errors]
  const snapshotProbe = probe.captureSnapshot !== false
  // Past twice the budget, remaining values become placeholders without being encoded: bounded work
  // for captures far over the budget (those values would be pruned anyway).
  const enc = new ValueEncoder(event.heap, limits, options.byteBudget * 2)

  const encodeVar = (a: Assembly, name: string, encodeIt: () => Part, first: boolean): boolean => {
    const mark = enc.nodes.length
    try {
      const node = encodeIt()
      a.lit(`${first ? "" : ","}${quote(name)}:`)
      a.kid(node)
      return true
    } catch (e) {
      enc.rollback(mark)
      errors.push({ expr: name, message: `encoding failed: ${e instanceof Error ? e.message : String(e)}` })
      return false
    }
  }

  const context = (a: Assembly, label: string, ctx: CaptureContext): void => {
    a.lit(`${quote(label)}:{`)
    let firstScope = true
    for (const scope of scopes) {
      const vars = ctx[scope]
      const returns = scope === "locals" && ctx.returns !== undefined && ctx.returns.length > 0 &&
          vars?.["@return"] === undefined
        ? ctx.returns
        : undefined
      if (vars === undefined && returns === undefined) continue
      a.lit(`${firstScope ? "" : ","}"${scope}":{`)
      firstScope = false
      let first = true
      const names = Object.keys(vars ?? {})
      const kept = Math.min(names.length, options.maxVariablesPerScope)
      for (let i = 0; i < kept; i++) {
        const name = names[i]!
        const v: Value = vars![name]!
        if (encodeVar(a, name, () => enc.variable(v, 0), first)) first = false
      }
      if (names.length > kept) {
        errors.push({
          expr: `${label}.${scope}`,
          message: `${names.length} variables captured, first ${kept} kept (maxVariablesPerScope)`
        })
      }
      if (returns !== undefined) {
        encodeVar(a, "@return", () => returns.length === 1 ? enc.variable(returns[0]!, 0) : enc.tuple(returns, 0), first)
      }
      a.lit("}")
    }
    a.lit("}")
  }

  const caps = new Assembly()
  const c = event.captures
  if (snapshotProbe) {
    caps.lit(`,"captures":{`)
    let firstCtx = true
    const sep = () => {
      if (!firstCtx) caps.lit(",")
      firstCtx = false
    }
    if (c?.entry !== undefined) { sep(); context(caps, "entry", c.entry) }
    if (c?.return !== undefined) { sep(); context(caps, "return", c.return) }
    if (c?.lines !== undefined) {
      sep()
      caps.lit(`"lines":{`)
      sortedLines(c.lines).forEach(([line, ctx], i) => {
        if (i > 0) caps.lit(",")
        context(caps, line, ctx)
      })
      caps.lit("}")
    }
    caps.lit("}")
  }
  const captures = fixedNode(caps.seps, caps.kids)

  const loc = probe.location
  const locParts = [
    loc.method === undefined ? undefined : `"method":${quote(loc.method)}`,
    loc.type === undefined ? undefined : `"type":${quote(loc.type)}`,
    loc.file === undefined ? undefined : `"file":${quote(loc.file)}`,
    loc.lines === undefined ? undefined : `"lines":[${loc.lines.map((l) => `"${l}"`).join(",")}]`
  ].filter((p) => p !== undefined)
  const timestamp = Math.trunc(event.timestamp)
  const traceId = event.trace === undefined ? undefined : traceIdHex(event.trace.traceId)
  const dd = event.trace === undefined || traceId === "0".repeat(32)
    ? ""
    : `,"dd":{"trace_id":"${traceId}","span_id":"${(BigInt(event.trace.spanId) & u64).toString()}"}`
  const stack = snapshotProbe && event.stack !== undefined
    ? `,"stack":[${event.stack.slice(0, options.maxStackFrames).map(frameText).join(",")}]`
    : ""
  const loggerName = loc.type ?? loc.file ?? loc.method ?? probe.id

  const head = `{"service":${quote(identity.service)},"ddsource":"dd_debugger"` +
    (identity.hostname === undefined ? "" : `,"hostname":${quote(identity.hostname)}`) +
    `,"message":${quote(rendered.message)},"timestamp":${timestamp}` +
    (event.duration === undefined ? "" : `,"duration":${Math.round(event.duration)}`) +
    `,"logger":{"name":${quote(loggerName)},"method":${quote(loc.method ?? "")},"version":${probe.version},` +
    `"thread_id":${event.thread.id},"thread_name":${quote(event.thread.name ?? "")}}` +
    dd +
    (identity.processTags.length === 0 ? "" : `,"process_tags":${quote(identity.processTags.join(","))}`) +
    `,"debugger":{"type":"snapshot","snapshot":{"id":${quote(id)},"timestamp":${timestamp},` +
    `"language":${quote(event.language)}${stack},"probe":{"id":${quote(probe.id)},"version":${probe.version},` +
    `"location":{${locParts.join(",")}}}`

  const uniqueErrors = dedupe(errors)
  const tail = (uniqueErrors.length === 0
    ? ""
    : `,"evaluationErrors":[${
      uniqueErrors.map((e) => `{"expr":${quote(e.expr)},"message":${quote(e.message)}}`).join(",")
    }]`) + "}}}"

  let pruned = enc.stoppedEarly
  let json = head + captures.text + tail
  let bytes = Buffer.byteLength(json, "utf8")
  if (bytes > options.byteBudget) {
    const r = prune(captures, enc.nodes, bytes - options.byteBudget)
    if (r.over > 0) {
      return Either.left(new SnapshotTooLarge({ probeId: probe.id, bytes: options.byteBudget + r.over, budget: options.byteBudget }))
    }
    pruned += r.pruned
    json = head + render(captures) + tail
    bytes = Buffer.byteLength(json, "utf8")
    if (bytes > options.byteBudget) {
      return Either.left(new SnapshotTooLarge({ probeId: probe.id, bytes, budget: options.byteBudget }))
    }
  }
  return Either.right({
    json,
    bytes,
    probeId: probe.id,
    probeVersion: probe.version,
    pruned,
    evaluationErrors: uniqueErrors
  })
}

const dedupe = (errors: ReadonlyArray<EvaluationError>): Array<EvaluationError> => {
  const seen = new Set<string>()
  return errors.filter((e) => {
    const k = `${e.expr}\u0000${e.message}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
