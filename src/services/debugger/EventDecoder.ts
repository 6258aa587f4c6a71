/**
 * Decoding of capture-event JSON lines. The envelope of an event must be valid; a variable or heap item
 * whose value breaks the model is dropped alone and reported as an evaluation error naming it, so one bad
 * value never loses the rest of the event. Unknown fields are errors, so a misspelt key is reported
 * instead of silently ignored.
 */
import { Either, ParseResult, Schema } from "effect"
import type { CaptureContext, CaptureEvent, EvaluationError } from "./CaptureEvent.js"
import { eventOf, Value } from "./CaptureEvent.js"
import { InvalidCaptureEvent } from "./errors.js"

const LooseEvent = eventOf(Schema.Unknown)
type LooseEvent = typeof LooseEvent.Type
type LooseContext = NonNullable<NonNullable<LooseEvent["captures"]>["entry"]>

const decodeLoose = Schema.decodeUnknownEither(LooseEvent, { errors: "first", onExcessProperty: "error" })
const decodeValue = Schema.decodeUnknownEither(Value, { errors: "first", onExcessProperty: "error" })

/** `path: message` of the first issue, e.g. `probe.id: Expected string, actual 42`. */
export const describeParseError = (e: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(e)
  const first = issues[0]
  if (first === undefined) return e.message
  const path = first.path.map(String).join(".")
  return path === "" ? first.message : `${path}: ${first.message}`
}

/** Maximum length of one JSON line (UTF-16 code units, about bytes for JSON text). */
export const maxLineBytes = 16 * 1024 * 1024

/**
 * Maximum nesting of arrays and objects in one event. Values are decoded recursively, so this bounds the
 * stack whatever the input; it is far above what the encoder can show (`maxReferenceDepth` ≤ 32, about
 * three JSON levels per struct level).
 */
export const maxJsonNesting = 256

/**
 * Where `json` nests deeper than `max` (the path to the first container past the limit), walked with an
 * explicit stack so that the check itself cannot overflow.
 */
export const tooDeepAt = (json: unknown, max: number): ReadonlyArray<string> | undefined => {
  interface Frame { readonly value: unknown; readonly depth: number; readonly key: string; readonly parent: Frame | undefined }
  const stack: Array<Frame> = [{ value: json, depth: 0, key: "", parent: undefined }]
  while (stack.length > 0) {
    const f = stack.pop()!
    if (typeof f.value !== "object" || f.value === null) continue
    if (f.depth >= max) {
      const path: Array<string> = []
      for (let p: Frame | undefined = f; p?.parent !== undefined; p = p.parent) path.push(p.key)
      return path.reverse()
    }
    if (Array.isArray(f.value)) {
      for (let i = f.value.length - 1; i >= 0; i--) stack.push({ value: f.value[i], depth: f.depth + 1, key: String(i), parent: f })
    } else {
      for (const [k, v] of Object.entries(f.value)) stack.push({ value: v, depth: f.depth + 1, key: k, parent: f })
    }
  }
  return undefined
}

/** The first segments of a long path, enough to find the value (`captures.entry.arguments.a.fields.0.1…`). */
const shortPath = (path: ReadonlyArray<string>): string =>
  path.length <= 8 ? path.join(".") : `${path.slice(0, 8).join(".")}…`

/** Decodes one JSON line (1-based `line` for error messages). */
export const decodeEventLine = (text: string, line: number): Either.Either<CaptureEvent, InvalidCaptureEvent> => {
  if (text.length > maxLineBytes) {
    return Either.left(new InvalidCaptureEvent({ line, message: `line longer than ${maxLineBytes} characters` }))
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Either.left(new InvalidCaptureEvent({ line, message: `not JSON: ${e instanceof Error ? e.message : String(e)}` }))
  }
  return decodeEvent(json, line)
}

/** Decodes an already parsed event. */
export const decodeEvent = (json: unknown, line: number): Either.Either<CaptureEvent, InvalidCaptureEvent> => {
  const deep = tooDeepAt(json, maxJsonNesting)
  if (deep !== undefined) {
    return Either.left(new InvalidCaptureEvent({ line, message: `${shortPath(deep)}: nested deeper than ${maxJsonNesting} levels (maxJsonNesting)` }))
  }
  const loose = decodeLoose(json)
  if (Either.isLeft(loose)) return Either.left(new InvalidCaptureEvent({ line, message: describeParseError(loose.left) }))
  const ev = loose.right
  const errors: Array<EvaluationError> = [...(ev.evaluationErrors ?? [])]

  const vars = (where: string, rec: Readonly<Record<string, unknown>> | undefined) => {
    if (rec === undefined) return undefined
    const out: Record<string, Value> = {}
    for (const [name, raw] of Object.entries(rec)) {
      const v = decodeValue(raw)
      if (Either.isRight(v)) out[name] = v.right
      else errors.push({ expr: name, message: `invalid captured value in ${where}: ${describeParseError(v.left)}` })
    }
    return out
  }
  const ctx = (where: string, c: LooseContext | undefined): CaptureContext | undefined => {
    if (c === undefined) return undefined
    const returns = c.returns?.flatMap((raw, i) => {
      const v = decodeValue(raw)
      if (Either.isRight(v)) return [v.right]
      errors.push({ expr: "@return", message: `invalid return value ${i} in ${where}: ${describeParseError(v.left)}` })
      return []
    })
    return {
      ...(c.arguments === undefined ? {} : { arguments: vars(`${where}.arguments`, c.arguments)! }),
      ...(c.locals === undefined ? {} : { locals: vars(`${where}.locals`, c.locals)! }),
      ...(c.captureExpressions === undefined ? {} : { captureExpressions: vars(`${where}.captureExpressions`, c.captureExpressions)! }),
      ...(returns === undefined ? {} : { returns })
    }
  }
  let heap: Record<string, Value> | undefined
  if (ev.heap !== undefined) {
    heap = {}
    for (const [addr, raw] of Object.entries(ev.heap)) {
      const v = decodeValue(raw)
      heap[addr] = Either.isRight(v)
        ? v.right
        : { kind: "unavailable", reason: "unavailable", detail: `invalid heap item: ${describeParseError(v.left)}` }
    }
  }
  const c = ev.captures
  const captures = c === undefined ? undefined : {
    ...(c.entry === undefined ? {} : { entry: ctx("entry", c.entry)! }),
    ...(c.return === undefined ? {} : { return: ctx("return", c.return)! }),
    ...(c.lines === undefined ? {} : {
      lines: Object.fromEntries(Object.entries(c.lines).map(([l, lc]) => [l, ctx(`lines.${l}`, lc)!]))
    })
  }
  const { captures: _c, heap: _h, evaluationErrors: _e, ...rest } = ev
  return Either.right({
    ...rest,
    ...(captures === undefined ? {} : { captures }),
    ...(heap === undefined ? {} : { heap }),
    ...(errors.length === 0 ? {} : { evaluationErrors: errors })
  })
}
