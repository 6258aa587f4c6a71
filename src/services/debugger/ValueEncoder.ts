/**
 * Pure encoder of captured values into the snapshot value JSON. One pass over the input builds, for each
 * value, its JSON text and a light node (byte size, nesting, children) so that a message over its byte
 * budget is brought under it by swapping the deepest and last values for typed `pruned` placeholders and
 * re-joining the already encoded text: no value is encoded twice.
 */
import type { Value } from "./CaptureEvent.js"
import { codePointLength, quote, takeCodePoints, utf8Length, wellFormed } from "./Json.js"
import type { Limits } from "./Limits.js"
import { maxValueNesting } from "./Limits.js"

/** One encoded value (or a fixed container of values, when `prunable` is false). */
export class Node {
  /** UTF-8 bytes; computed only when the message is over budget (see `measure`). */
  bytes = -1
  parent: Node | undefined = undefined
  /** Bytes already removed inside this node by pruning. */
  saved = 0
  pruned = false
  dirty = false
  constructor(
    readonly text: string,
    /** JSON nesting of value objects: 0 for a variable, +1 per child value. */
    readonly depth: number,
    readonly order: number,
    /** The quoted type, for the placeholder. */
    readonly typeQ: string,
    /** Literal text around the kids: text = seps[0] kids[0] seps[1] … kids[n-1] seps[n]. */
    readonly kids: Array<Part> | undefined,
    readonly seps: Array<string> | undefined,
    readonly prunable: boolean
  ) {}
}

/**
 * An encoded value: a Node when it could be worth pruning, or just its text when it is no larger than
 * its own placeholder (most scalars), which saves allocating a node for every small leaf.
 */
export type Part = Node | string

const textOf = (p: Part): string => (typeof p === "string" ? p : p.text)

interface TypeText {
  /** The quoted type name. */
  readonly q: string
  /** `{"type":<q>` */
  readonly head: string
  /** UTF-16 length of the placeholder: leaves no longer than this are not worth a node. */
  readonly placeholderLength: number
}

const cacheLimit = 4096
const typeCache = new Map<string, TypeText>()
const keyCache = new Map<string, string>()

let lastType = ""
let lastTypeText: TypeText | undefined

const typeText = (t: string): TypeText => {
  // Elements of a collection usually share one type: skip the map for a repeat.
  if (t === lastType && lastTypeText !== undefined) return lastTypeText
  let v = typeCache.get(t)
  if (v === undefined) {
    const q = quote(t)
    v = { q, head: `{"type":${q}`, placeholderLength: placeholderText(q).length }
    if (typeCache.size >= cacheLimit) typeCache.clear()
    typeCache.set(t, v)
  }
  lastType = t
  lastTypeText = v
  return v
}
const typeHead = (t: string): string => typeText(t).head
const keyOf = (name: string): string => {
  let v = keyCache.get(name)
  if (v === undefined) {
    v = `${quote(name)}:`
    if (keyCache.size >= cacheLimit) keyCache.clear()
    keyCache.set(name, v)
  }
  return v
}

/** Text of a scalar: numbers in shortest round-trip form (with exponent), booleans as words. */
export const scalarText = (v: number | boolean | string): string =>
  typeof v === "number" ? (v === 0 && 1 / v < 0 ? "-0" : String(v)) : String(v)

export function placeholderText(tq: string): string {
  return `{"type":${tq},"notCapturedReason":"pruned"}`
}

/** Bytes of a placeholder other than its quoted type. */
const placeholderFixedBytes = placeholderText("").length

const isNullAddress = (a: string): boolean => {
  for (let i = 2; i < a.length; i++) if (a.charCodeAt(i) !== 48) return false
  return true
}

export class ValueEncoder {
  private order = 0
  private readonly path = new Set<string>()
  /** Every prunable node, in creation order. */
  readonly nodes: Array<Node> = []
  /** Bytes produced so far (leaves and literal text). */
  produced = 0
  /** Values replaced by placeholders without being encoded because `produced` passed the hard stop. */
  stoppedEarly = 0

  constructor(
    private readonly heap: Readonly<Record<string, Value>> | undefined,
    private readonly limits: Limits,
    private readonly hardStop: number
  ) {}

  /** Forgets the nodes of a variable whose encoding threw, so pruning never counts them. */
  rollback(nodeCount: number): void {
    this.nodes.length = nodeCount
  }

  /** Encodes a variable's value (depth 0). */
  variable(v: Value, depth: number): Part {
    return this.value(v, depth, undefined, undefined, 0)
  }

  /** Several return values as one tuple value with fields r0, r1, … (the tuple adds no depth). */
  tuple(values: ReadonlyArray<Value>, depth: number): Part {
    const type = `(${values.map(typeOfValue).join(", ")})`
    const seps: Array<string> = []
    const kids: Array<Part> = []
    let sep = `${typeHead(type)},"fields":{`
    values.forEach((v, i) => {
      seps.push(`${sep}"r${i}":`)
      kids.push(this.value(v, depth, undefined, undefined, 0))
      sep = ","
    })
    seps.push(values.length === 0 ? `${typeHead(type)},"fields":{}}` : "}}")
    return this.container(seps, kids, depth, typeText(type))
  }

  private leaf(text: string, depth: number, t: TypeText): Part {
    // UTF-16 length: a cheap progress measure for the hard stop; exact bytes only when pruning.
    this.produced += text.length
    if (text.length <= t.placeholderLength) return text
    const node = new Node(text, depth, this.order++, t.q, undefined, undefined, true)
    this.nodes.push(node)
    return node
  }

  private container(seps: Array<string>, kids: Array<Part>, depth: number, t: TypeText): Node {
    let text = seps[0]!
    let sepLength = text.length
    for (let i = 0; i < kids.length; i++) {
      const sep = seps[i + 1]!
      const k = kids[i]!
      text += (typeof k === "string" ? k : k.text) + sep
      sepLength += sep.length
    }
    this.produced += sepLength
    const node = new Node(text, depth, this.order++, t.q, kids, seps, true)
    for (const k of kids) if (typeof k !== "string") k.parent = node
    this.nodes.push(node)
    return node
  }

  private value(
    v: Value,
    depth: number,
    head: string | undefined,
    outer: TypeText | undefined,
    nesting: number
  ): Part {
    const q = outer ?? typeText(typeOfValue(v))
    const h = head ?? q.head
    if (this.produced > this.hardStop) {
      this.stoppedEarly++
      return this.leaf(`${h},"notCapturedReason":"pruned"}`, depth, q)
    }
    if (nesting > maxValueNesting) return this.leaf(`${h},"notCapturedReason":"depth"}`, depth, q)
    const lim = this.limits
    switch (v.kind) {
      case "scalar":
        return this.leaf(
          typeof v.value === "string" ? `${h},"value":${quote(v.value)}}` : `${h},"value":"${scalarText(v.value)}"}`,
          depth,
          q
        )
      case "string":
        return this.leaf(h + stringPayload(v.value, v.size, lim.maxLength), depth, q)
      case "null":
        return this.leaf(`${h},"isNull":true}`, depth, q)
      case "unavailable":
        return this.leaf(
          `${h},"notCapturedReason":"${v.reason}"${v.detail === undefined ? "" : `,"notCapturedDetail":${quote(v.detail)}`}}`,
          depth,
          q
        )
      case "struct": {
        if (depth >= lim.maxReferenceDepth) return this.leaf(`${h},"notCapturedReason":"depth"}`, depth, q)
        const n = Math.min(v.fields.length, lim.maxFieldCount)
        const total = Math.max(v.fieldCount ?? 0, v.fields.length)
        const tail = total > n ? `},"notCapturedReason":"fieldCount","size":${total}}` : "}}"
        if (n === 0) return this.leaf(`${h},"fields":{${tail}`, depth, q)
        const seps: Array<string> = []
        const kids: Array<Part> = []
        let sep = `${h},"fields":{`
        for (let i = 0; i < n; i++) {
          const [name, fv] = v.fields[i]!
          seps.push(sep + keyOf(name))
          kids.push(this.value(fv, depth + 1, undefined, undefined, nesting + 1))
          sep = ","
        }
        seps.push(tail)
        return this.container(seps, kids, depth, q)
      }
      case "array": {
        const size = Math.max(v.length ?? 0, v.elements.length)
        if (depth >= lim.maxReferenceDepth) {
          return this.leaf(`${h},"notCapturedReason":"depth","size":${size}}`, depth, q)
        }
        const n = Math.min(v.elements.length, lim.maxCollectionSize)
        const tail = `]${size > n ? `,"notCapturedReason":"collectionSize"` : ""},"size":${size}}`
        if (n === 0) return this.leaf(`${h},"elements":[${tail}`, depth, q)
        const seps: Array<string> = [`${h},"elements":[`]
        const kids: Array<Part> = []
        for (let i = 0; i < n; i++) {
          kids.push(this.value(v.elements[i]!, depth + 1, undefined, undefined, nesting + 1))
          seps.push(i + 1 < n ? "," : tail)
        }
        return this.container(seps, kids, depth, q)
      }
      case "map": {
        const size = Math.max(v.length ?? 0, v.entries.length)
        if (depth >= lim.maxReferenceDepth) {
          return this.leaf(`${h},"notCapturedReason":"depth","size":${size}}`, depth, q)
        }
        const n = Math.min(v.entries.length, lim.maxCollectionSize)
        const tail = `${size > n ? `,"notCapturedReason":"collectionSize"` : ""},"size":${size}}`
        if (n === 0) return this.leaf(`${h},"entries":[]${tail}`, depth, q)
        const seps: Array<string> = [`${h},"entries":[[`]
        const kids: Array<Part> = []
        for (let i = 0; i < n; i++) {
          const [k, ev] = v.entries[i]!
          kids.push(this.value(k, depth + 1, undefined, undefined, nesting + 1))
          seps.push(",")
          kids.push(this.value(ev, depth + 1, undefined, undefined, nesting + 1))
          seps.push(i + 1 < n ? "],[" : `]]${tail}`)
        }
        return this.container(seps, kids, depth, q)
      }
      case "interface": {
        if (depth >= lim.maxReferenceDepth) return this.leaf(`${h},"notCapturedReason":"depth"}`, depth, q)
        const kid = this.value(v.value, depth + 1, undefined, undefined, nesting + 1)
        return this.container([`${h},"fields":{"data":`, "}}"], [kid], depth, q)
      }
      case "pointer": {
        const addr = v.address
        if (isNullAddress(addr)) return this.leaf(`${h},"isNull":true}`, depth, q)
        const addrKey = `,"address":"${addr}"`
        if (this.path.has(addr)) {
          return this.leaf(`${h}${addrKey},"notCapturedReason":"circular reference"}`, depth, q)
        }
        const item = this.heap?.[addr]
        if (item === undefined) return this.leaf(`${h}${addrKey},"notCapturedReason":"depth"}`, depth, q)
        // Only the innermost pointer of a chain writes its address (one `address` key per object).
        const inner = item.kind === "pointer" && !isNullAddress(item.address) ? h : h + addrKey
        this.path.add(addr)
        try {
          return this.value(item, depth, inner, q, nesting + 1)
        } finally {
          this.path.delete(addr)
        }
      }
    }
  }
}

/** The `type` a value is reported with; "unknown" when the source did not know it. */
export const typeOfValue = (v: Value): string =>
  v.kind === "string" ? (v.type ?? "string") : v.kind === "unavailable" ? (v.type ?? "unknown") : v.type

/** `,"value":…` plus truncation keys for a string, cut to `maxLength` code points. */
const stringPayload = (raw: string, sourceSize: number | undefined, maxLength: number): string => {
  const s = wellFormed(raw)
  if (s.length <= maxLength && sourceSize === undefined) return `,"value":${JSON.stringify(s)}}`
  const cps = codePointLength(s)
  const size = Math.max(sourceSize ?? 0, cps)
  if (cps > maxLength) {
    return `,"value":${JSON.stringify(takeCodePoints(s, maxLength))},"truncated":true,"size":${size},"truncatedBy":"maxLength"}`
  }
  if (size > cps) return `,"value":${JSON.stringify(s)},"truncated":true,"size":${size},"truncatedBy":"capture"}`
  return `,"value":${JSON.stringify(s)}}`
}

/** Renders a node after pruning (only dirty containers are re-joined). */
export const render = (p: Part): string => {
  if (typeof p === "string") return p
  if (p.pruned) return placeholderText(p.typeQ)
  if (!p.dirty || p.kids === undefined || p.seps === undefined) return p.text
  let out = p.seps[0]!
  for (let i = 0; i < p.kids.length; i++) out += render(p.kids[i]!) + p.seps[i + 1]!
  return out
}

/** Fills `bytes` of a node and everything under it (post-order, once). */
export const measure = (p: Part): number => {
  if (typeof p === "string") return utf8Length(p)
  const n = p
  if (n.bytes >= 0) return n.bytes
  if (n.kids === undefined || n.seps === undefined) {
    n.bytes = utf8Length(n.text)
    return n.bytes
  }
  let b = 0
  for (const s of n.seps) b += utf8Length(s)
  for (const k of n.kids) b += measure(k)
  n.bytes = b
  return b
}

/**
 * Removes at least `excess` bytes by replacing values with placeholders, deepest first and, at equal
 * depth, last first. Returns the number of values pruned and the bytes still over (0 when it fits).
 */
export const prune = (
  root: Node,
  nodes: ReadonlyArray<Node>,
  excess: number
): { readonly pruned: number; readonly over: number } => {
  measure(root)
  const order = nodes.filter((n) => n.prunable).sort((a, b) => b.depth - a.depth || b.order - a.order)
  let pruned = 0
  let over = excess
  for (const n of order) {
    if (over <= 0) break
    const gain = n.bytes - n.saved - (placeholderFixedBytes + utf8Length(n.typeQ))
    if (gain <= 0) continue
    n.pruned = true
    pruned++
    over -= gain
    n.saved += gain
    for (let p = n.parent; p !== undefined; p = p.parent) {
      p.saved += gain
      p.dirty = true
    }
  }
  return { pruned, over: Math.max(0, over) }
}

/** A container that is never pruned itself (capture contexts and variable maps). */
export const fixedNode = (seps: Array<string>, kids: Array<Part>): Node => {
  let text = seps[0]!
  for (let i = 0; i < kids.length; i++) text += textOf(kids[i]!) + seps[i + 1]!
  const node = new Node(text, -1, -1, "", kids, seps, false)
  for (const k of kids) if (typeof k !== "string") k.parent = node
  return node
}
