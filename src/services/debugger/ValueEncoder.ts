/**
 * Pure encoder of captured values into the snapshot value JSON. One pass over the input builds, for each
 * value, its JSON text and a light node (byte size, nesting, children) so that a message over its byte
 * budget is brought under it by swapping the deepest and last values for typed `pruned` placeholders and
 * re-joining the already encoded text: no value is encoded twice.
 */
import type { Value } from "./CaptureEvent.js"
import { codePointLength, quote, takeCodePoints, utf8Length, wellFormed } from "./Json.js"
import type { Limits } from "./Limits.js"

/** One encoded value (or a fixed container of values, when `prunable` is false). */
export interface Node {
  text: string
  bytes: number
  /** JSON nesting of value objects: 0 for a variable, +1 per child value. */
  readonly depth: number
  readonly order: number
  /** The quoted type, for the placeholder. */
  readonly typeQ: string
  readonly kids: Array<Node> | undefined
  /** Literal text around the kids: text = seps[0] kids[0] seps[1] … kids[n-1] seps[n]. */
  readonly seps: Array<string> | undefined
  parent: Node | undefined
  /** Bytes already removed inside this node by pruning. */
  saved: number
  pruned: boolean
  dirty: boolean
  readonly prunable: boolean
}

/** Nesting guard for chains that do not consume reference depth (interfaces of interfaces). */
const maxNesting = 256

const headCache = new Map<string, string>()
const typeQCache = new Map<string, string>()
const keyCache = new Map<string, string>()
const cacheLimit = 4096

const memo = (cache: Map<string, string>, key: string, make: (k: string) => string): string => {
  let v = cache.get(key)
  if (v === undefined) {
    v = make(key)
    if (cache.size >= cacheLimit) cache.clear()
    cache.set(key, v)
  }
  return v
}
const typeQ = (t: string): string => memo(typeQCache, t, quote)
const typeHead = (t: string): string => memo(headCache, t, (k) => `{"type":${typeQ(k)}`)
const keyOf = (name: string): string => memo(keyCache, name, (k) => `${quote(k)}:`)

/** Text of a scalar: numbers in shortest round-trip form (with exponent), booleans as words. */
export const scalarText = (v: number | boolean | string): string =>
  typeof v === "number" ? (Object.is(v, -0) ? "-0" : String(v)) : String(v)

export const placeholderText = (tq: string): string => `{"type":${tq},"notCapturedReason":"pruned"}`

const isNullAddress = (a: string): boolean => /^0x0+$/.test(a)

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

  /** Encodes a variable's value (depth 0). */
  variable(v: Value, depth: number): Node {
    return this.value(v, depth, undefined, undefined, 0)
  }

  /** Several return values as one tuple value with fields r0, r1, … (the tuple adds no depth). */
  tuple(values: ReadonlyArray<Value>, depth: number): Node {
    const type = `(${values.map(typeOfValue).join(", ")})`
    const seps: Array<string> = []
    const kids: Array<Node> = []
    let sep = `${typeHead(type)},"fields":{`
    values.forEach((v, i) => {
      seps.push(`${sep}"r${i}":`)
      kids.push(this.value(v, depth, undefined, undefined, 0))
      sep = ","
    })
    seps.push(values.length === 0 ? `${typeHead(type)},"fields":{}}` : "}}")
    return this.container(seps, kids, depth, typeQ(type))
  }

  private leaf(text: string, depth: number, tq: string): Node {
    const bytes = utf8Length(text)
    this.produced += bytes
    const node: Node = {
      text, bytes, depth, order: this.order++, typeQ: tq, kids: undefined, seps: undefined,
      parent: undefined, saved: 0, pruned: false, dirty: false, prunable: true
    }
    this.nodes.push(node)
    return node
  }

  private container(seps: Array<string>, kids: Array<Node>, depth: number, tq: string): Node {
    let text = seps[0]!
    let bytes = 0
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i]!
      text += k.text + seps[i + 1]!
      bytes += k.bytes
    }
    let sepBytes = 0
    for (const s of seps) sepBytes += utf8Length(s)
    this.produced += sepBytes
    const node: Node = {
      text, bytes: bytes + sepBytes, depth, order: this.order++, typeQ: tq, kids, seps,
      parent: undefined, saved: 0, pruned: false, dirty: false, prunable: true
    }
    for (const k of kids) k.parent = node
    this.nodes.push(node)
    return node
  }

  private value(
    v: Value,
    depth: number,
    head: string | undefined,
    tq: string | undefined,
    nesting: number
  ): Node {
    const type = typeOfValue(v)
    const h = head ?? typeHead(type)
    const q = tq ?? typeQ(type)
    if (this.produced > this.hardStop) {
      this.stoppedEarly++
      return this.leaf(`${h},"notCapturedReason":"pruned"}`, depth, q)
    }
    if (nesting > maxNesting) return this.leaf(`${h},"notCapturedReason":"depth"}`, depth, q)
    const lim = this.limits
    switch (v.kind) {
      case "scalar":
        return this.leaf(`${h},"value":${JSON.stringify(scalarText(v.value))}}`, depth, q)
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
        const kids: Array<Node> = []
        const seen = n > 1 ? new Set<string>() : undefined
        let sep = `${h},"fields":{`
        for (let i = 0; i < n; i++) {
          const [name, fv] = v.fields[i]!
          seps.push(sep + keyOf(seen === undefined ? name : uniqueName(seen, name)))
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
        const kids: Array<Node> = []
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
        const kids: Array<Node> = []
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

/** A second field with the same name is reported as `name#2` (JSON objects cannot repeat keys). */
const uniqueName = (seen: Set<string>, name: string): string => {
  let out = name
  for (let i = 2; seen.has(out); i++) out = `${name}#${i}`
  seen.add(out)
  return out
}

/** Renders a node after pruning (only dirty containers are re-joined). */
export const render = (n: Node): string => {
  if (n.pruned) return placeholderText(n.typeQ)
  if (!n.dirty || n.kids === undefined || n.seps === undefined) return n.text
  let out = n.seps[0]!
  for (let i = 0; i < n.kids.length; i++) out += render(n.kids[i]!) + n.seps[i + 1]!
  return out
}

/**
 * Removes at least `excess` bytes by replacing values with placeholders, deepest first and, at equal
 * depth, last first. Returns the number of values pruned and the bytes still over (0 when it fits).
 */
export const prune = (nodes: ReadonlyArray<Node>, excess: number): { readonly pruned: number; readonly over: number } => {
  const order = nodes.filter((n) => n.prunable).sort((a, b) => b.depth - a.depth || b.order - a.order)
  let pruned = 0
  let over = excess
  for (const n of order) {
    if (over <= 0) break
    const gain = n.bytes - n.saved - utf8Length(placeholderText(n.typeQ))
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
export const fixedNode = (seps: Array<string>, kids: Array<Node>): Node => {
  let text = seps[0]!
  let bytes = 0
  for (let i = 0; i < kids.length; i++) {
    text += kids[i]!.text + seps[i + 1]!
    bytes += kids[i]!.bytes
  }
  for (const s of seps) bytes += utf8Length(s)
  const node: Node = {
    text, bytes, depth: -1, order: -1, typeQ: "", kids, seps,
    parent: undefined, saved: 0, pruned: false, dirty: false, prunable: false
  }
  for (const k of kids) k.parent = node
  return node
}
