/**
 * Message rendering: the probe template (`{expr}` segments) or, without one, a default summary
 * `method(arg=value, …)`. Values are shown the way a person reads them: collections show 3 items,
 * structs 5 fields, the whole message is capped at 8 KiB (cut on a code-point boundary, ending in `…`).
 */
import type { CaptureContext, CaptureEvent, EvaluationError, Value } from "./CaptureEvent.js"
import { codePointLength, takeCodePoints, takeUtf8Bytes, utf8Length } from "./Json.js"
import type { Limits } from "./Limits.js"
import { maxValueNesting, messageLimits } from "./Limits.js"
import { scalarText } from "./ValueEncoder.js"

export type Segment = { readonly _tag: "Literal"; readonly text: string } | { readonly _tag: "Expr"; readonly expr: string }

/** Splits a template into literal and `{expr}` segments; `{{` / `}}` are literal braces. */
export const parseTemplate = (template: string): ReadonlyArray<Segment> => {
  const out: Array<Segment> = []
  let lit = ""
  let i = 0
  while (i < template.length) {
    const c = template[i]!
    if (c === "{" && template[i + 1] === "{") { lit += "{"; i += 2; continue }
    if (c === "}" && template[i + 1] === "}") { lit += "}"; i += 2; continue }
    if (c === "{") {
      const end = template.indexOf("}", i + 1)
      if (end < 0) { lit += template.slice(i); break }
      if (lit !== "") out.push({ _tag: "Literal", text: lit })
      lit = ""
      out.push({ _tag: "Expr", expr: template.slice(i + 1, end).trim() })
      i = end + 1
      continue
    }
    lit += c
    i++
  }
  if (lit !== "") out.push({ _tag: "Literal", text: lit })
  return out
}

/** A string builder that stops growing once past the byte cap. */
class Out {
  text = ""
  bytes = 0
  get full(): boolean { return this.bytes > messageLimits.maxBytes }
  add(s: string): void {
    if (this.full) return
    this.text += s
    this.bytes += utf8Length(s)
  }
  finish(): string {
    if (!this.full) return this.text
    return takeUtf8Bytes(this.text, messageLimits.maxBytes - 3) + "…"
  }
}

interface Ctx {
  readonly heap: Readonly<Record<string, Value>> | undefined
  readonly limits: Limits
}

const renderValue = (v: Value, ctx: Ctx, out: Out, level: number, path: Set<string>, nesting: number): void => {
  if (out.full) return
  if (nesting > maxValueNesting) return out.add("{...}")
  switch (v.kind) {
    case "scalar":
      return out.add(scalarText(v.value))
    case "string": {
      const cut = codePointLength(v.value) > ctx.limits.maxLength
      const shown = cut ? takeCodePoints(v.value, ctx.limits.maxLength) : v.value
      return out.add(cut || (v.size ?? 0) > codePointLength(v.value) ? `${shown}...` : shown)
    }
    case "null":
      return out.add("nil")
    case "unavailable":
      return out.add(v.reason === "redactedIdent" || v.reason === "redactedType" ? "{redacted}" : `{${v.reason}}`)
    case "interface":
      return renderValue(v.value, ctx, out, level + 1, path, nesting + 1)
    case "pointer": {
      if (/^0x0+$/.test(v.address)) return out.add("nil")
      if (path.has(v.address)) return out.add("{cycle}")
      const item = ctx.heap?.[v.address]
      if (item === undefined) return out.add("{...}")
      path.add(v.address)
      renderValue(item, ctx, out, level, path, nesting + 1)
      path.delete(v.address)
      return
    }
    case "struct": {
      if (level >= ctx.limits.maxReferenceDepth) return out.add("{...}")
      const n = Math.min(v.fields.length, messageLimits.structFields)
      out.add("{")
      for (let i = 0; i < n; i++) {
        const [name, fv] = v.fields[i]!
        out.add(i === 0 ? `${name}: ` : `, ${name}: `)
        renderValue(fv, ctx, out, level + 1, path, nesting + 1)
      }
      const more = Math.max(v.fields.length, v.fieldCount ?? 0) > n
      return out.add(more ? (n === 0 ? "...}" : ", ...}") : "}")
    }
    case "array": {
      if (level >= ctx.limits.maxReferenceDepth) return out.add("[...]")
      const n = Math.min(v.elements.length, messageLimits.collectionItems)
      out.add("[")
      for (let i = 0; i < n; i++) {
        if (i > 0) out.add(", ")
        renderValue(v.elements[i]!, ctx, out, level + 1, path, nesting + 1)
      }
      const more = Math.max(v.elements.length, v.length ?? 0) > n
      return out.add(more ? (n === 0 ? "...]" : ", ...]") : "]")
    }
    case "map": {
      if (level >= ctx.limits.maxReferenceDepth) return out.add("{...}")
      const n = Math.min(v.entries.length, messageLimits.collectionItems)
      out.add("{")
      for (let i = 0; i < n; i++) {
        const [k, ev] = v.entries[i]!
        if (i > 0) out.add(", ")
        renderValue(k, ctx, out, level + 1, path, nesting + 1)
        out.add(": ")
        renderValue(ev, ctx, out, level + 1, path, nesting + 1)
      }
      const more = Math.max(v.entries.length, v.length ?? 0) > n
      return out.add(more ? (n === 0 ? "...}" : ", ...}") : "}")
    }
  }
}

/** Renders one top-level value; a value that cannot be rendered shows `{error}` instead of failing the message. */
const renderTop = (v: Value, ctx: Ctx, out: Out): void => {
  try {
    renderValue(v, ctx, out, 0, new Set(), 0)
  } catch {
    out.add("{error}")
  }
}

type Lookup = { readonly _tag: "Found"; readonly value: Value } | { readonly _tag: "Missing"; readonly message: string }

const contexts = (event: CaptureEvent): ReadonlyArray<CaptureContext> => {
  const c = event.captures
  if (c === undefined) return []
  const lines = c.lines === undefined ? [] : Object.values(c.lines)
  return [...(c.return === undefined ? [] : [c.return]), ...(c.entry === undefined ? [] : [c.entry]), ...lines]
}

const findVariable = (event: CaptureEvent, name: string): Value | undefined => {
  for (const ctx of contexts(event)) {
    const v = ctx.captureExpressions?.[name] ?? ctx.arguments?.[name] ?? ctx.locals?.[name]
    if (v !== undefined) return v
  }
  return undefined
}

const deref = (v: Value, heap: Readonly<Record<string, Value>> | undefined): Value => {
  let cur = v
  for (let hops = 0; hops < 64; hops++) {
    if (cur.kind === "interface") cur = cur.value
    else if (cur.kind === "pointer" && heap?.[cur.address] !== undefined) cur = heap[cur.address]!
    else return cur
  }
  return cur
}

/** Resolves `name`, `name.field.sub` (struct fields, string-keyed map entries) or `@return`. */
const resolve = (event: CaptureEvent, expr: string): Lookup => {
  const [root, ...fields] = expr.split(".")
  let v = root === undefined ? undefined : findVariable(event, root)
  if (root === "@return" && v === undefined) {
    const returns = event.captures?.return?.returns
    if (returns !== undefined && returns.length === 1) v = returns[0]
    else if (returns !== undefined && returns.length > 1) {
      v = { kind: "struct", type: "tuple", fields: returns.map((r, i) => [`r${i}`, r] as const) }
    }
  }
  if (v === undefined) return { _tag: "Missing", message: `${root ?? expr} was not captured` }
  for (const f of fields) {
    const cur = deref(v, event.heap)
    const next: Value | undefined =
      cur.kind === "struct"
        ? cur.fields.find(([n]) => n === f)?.[1]
        : cur.kind === "map"
        ? cur.entries.find(([k]) => (k.kind === "string" || k.kind === "scalar") && String(k.value) === f)?.[1]
        : undefined
    if (next === undefined) return { _tag: "Missing", message: `no field ${f} in ${expr}` }
    v = next
  }
  return { _tag: "Found", value: v }
}

export interface RenderedMessage {
  readonly message: string
  /** Errors for expressions the template uses that could not be evaluated. */
  readonly errors: ReadonlyArray<EvaluationError>
}

/** Renders the probe template, or the default `method(arg=value, …)` summary when there is none. */
export const renderMessage = (event: CaptureEvent, limits: Limits): RenderedMessage => {
  const ctx: Ctx = { heap: event.heap, limits }
  const out = new Out()
  const template = event.probe.template
  if (template === undefined) {
    renderDefault(event, ctx, out)
    return { message: out.finish(), errors: [] }
  }
  const errors: Array<EvaluationError> = []
  const seen = new Set<string>()
  for (const seg of parseTemplate(template)) {
    if (seg._tag === "Literal") { out.add(seg.text); continue }
    if (seg.expr === "@duration") {
      if (event.duration !== undefined) out.add((event.duration / 1e6).toFixed(6))
      else {
        out.add("{error: @duration not available}")
        if (!seen.has(seg.expr)) errors.push({ expr: seg.expr, message: "not available: no return was captured" })
      }
      seen.add(seg.expr)
      continue
    }
    const found = resolve(event, seg.expr)
    if (found._tag === "Found") renderTop(found.value, ctx, out)
    else {
      out.add(`{error: ${found.message}}`)
      if (!seen.has(seg.expr)) errors.push({ expr: seg.expr, message: found.message })
    }
    seen.add(seg.expr)
  }
  return { message: out.finish(), errors }
}

const renderDefault = (event: CaptureEvent, ctx: Ctx, out: Out): void => {
  const loc = event.probe.location
  const line = loc.lines?.[0]
  const name = loc.method ?? (loc.file !== undefined ? `${loc.file}${line === undefined ? "" : `:${line}`}` : event.probe.id)
  out.add(`${name}(`)
  const args = pickArguments(event)
  let first = true
  for (const [n, v] of Object.entries(args ?? {})) {
    out.add(first ? `${n}=` : `, ${n}=`)
    first = false
    renderTop(v, ctx, out)
  }
  out.add(")")
  const returns = event.captures?.return?.returns
  if (returns !== undefined && returns.length > 0) {
    out.add(" = ")
    if (returns.length > 1) out.add("(")
    returns.forEach((r, i) => {
      if (i > 0) out.add(", ")
      renderTop(r, ctx, out)
    })
    if (returns.length > 1) out.add(")")
  }
}

const pickArguments = (event: CaptureEvent): Readonly<Record<string, Value>> | undefined => {
  const c = event.captures
  return c?.entry?.arguments ?? c?.return?.arguments ??
    (c?.lines === undefined ? undefined : Object.values(c.lines).find((l) => l.arguments !== undefined)?.arguments)
}
