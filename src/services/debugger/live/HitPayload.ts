/**
 * What the target's helper sends for a probe hit (JSON through the CDP binding), its validation (the
 * target is not trusted: values are decoded with the CaptureEvent `Value` schema), and the capture
 * events built from it for the snapshot encoder. Pure.
 */
import { Either, ParseResult, Schema } from "effect"
import type { CaptureEvent, Frame, Value } from "../CaptureEvent.js"
import { Address, Value as ValueSchema } from "../CaptureEvent.js"
import { resolveLimits } from "../Limits.js"
import type { LiveProbe } from "./ProbeSpec.js"

const Heap = Schema.Record({ key: Address, value: ValueSchema })
const Index = Schema.Int.pipe(Schema.nonNegative())
const Micros = Schema.Number.pipe(Schema.nonNegative())
const Millis = Schema.Number.pipe(Schema.nonNegative(), Schema.finite())

/** Stack frame as the helper sends it: [function, file, line, column]. */
const RawFrame = Schema.Tuple(Schema.String, Schema.String, Schema.Int, Schema.Int)

export const SnapshotHit = Schema.Struct({
  k: Schema.Literal("s"),
  loc: Index,
  p: Schema.Array(Index).pipe(Schema.minItems(1)),
  ts: Millis,
  vars: Schema.Record({ key: Schema.String, value: ValueSchema }),
  heap: Heap,
  st: Schema.Array(RawFrame),
  us: Micros
})
export const LogHit = Schema.Struct({
  k: Schema.Literal("l"),
  p: Index,
  ts: Millis,
  v: Schema.Array(ValueSchema),
  heap: Heap,
  us: Micros
})
export const ProbeFault = Schema.Struct({ k: Schema.Literal("e"), p: Index, m: Schema.String })

export const HitPayload = Schema.Union(SnapshotHit, LogHit, ProbeFault)
export type HitPayload = typeof HitPayload.Type
export type SnapshotHit = typeof SnapshotHit.Type
export type LogHit = typeof LogHit.Type

const decodePayload = Schema.decodeUnknownEither(Schema.parseJson(HitPayload))

/** Decodes a binding payload; the error names the rule it broke. */
export const decodeHitPayload = (json: string): Either.Either<HitPayload, string> =>
  Either.mapLeft(decodePayload(json), (e) => ParseResult.TreeFormatter.formatErrorSync(e))

/** A frame where the script is, and where it is in the original source when a source map says so. */
export interface FrameMapper {
  readonly map: (fn: string, file: string, line: number, column: number) => Frame
}

export const identityFrames: FrameMapper = {
  map: (fn, file, line, column) => ({ function: fn, file, line, column })
}

const probeOf = (p: LiveProbe) => ({
  id: p.id,
  version: 0,
  location: { file: p.file, lines: [p.line] },
  capture: p.limits,
  ...(p.template === undefined ? {} : { template: p.template.text, captureSnapshot: false }),
  sampling: p.perSecond === undefined ? undefined : { snapshotsPerSecond: p.perSecond }
})

const thread = { id: 0, name: "MainThread" } as const

/** One capture event per probe of a snapshot hit; locals under `captures.lines["LINE"]`. */
export const snapshotEvents = (
  hit: SnapshotHit,
  probes: ReadonlyArray<LiveProbe>,
  pid: number,
  frames: FrameMapper
): ReadonlyArray<CaptureEvent> => {
  const stack = hit.st.map(([fn, file, line, column]) => frames.map(fn, file, line, column))
  const heap = Object.keys(hit.heap).length === 0 ? undefined : hit.heap
  return probes.map((p): CaptureEvent => ({
    probe: probeOf(p),
    pid,
    language: "javascript",
    timestamp: hit.ts,
    thread,
    stack,
    captures: { lines: { [String(p.line)]: { locals: hit.vars } } },
    ...(heap === undefined ? {} : { heap })
  }))
}

/**
 * The template's paths as capture expressions the encoder's renderer resolves: `cart.total` becomes
 * `captureExpressions.cart`, a struct with the field `total`. A bare root (`cart`) keeps its whole value.
 */
export const templateExpressions = (
  paths: ReadonlyArray<string>,
  values: ReadonlyArray<Value>
): Record<string, Value> => {
  interface Tree { value?: Value; children: Map<string, Tree> }
  const roots = new Map<string, Tree>()
  paths.forEach((path, i) => {
    const v = values[i]
    if (v === undefined) return
    const parts = path.split(".")
    let level = roots
    let node: Tree | undefined
    for (const part of parts) {
      node = level.get(part)
      if (node === undefined) {
        node = { children: new Map() }
        level.set(part, node)
      }
      level = node.children
    }
    if (node !== undefined) node.value = v
  })
  const build = (t: Tree): Value =>
    t.value ?? { kind: "struct", type: "Object", fields: [...t.children].map(([k, c]) => [k, build(c)] as const) }
  return Object.fromEntries([...roots].map(([k, t]) => [k, build(t)]))
}

/** The capture event of a log hit: message only (the encoder renders the template). */
export const logEvent = (hit: LogHit, probe: LiveProbe, pid: number): CaptureEvent => {
  const paths = probe.template?.paths ?? []
  const heap = Object.keys(hit.heap).length === 0 ? undefined : hit.heap
  return {
    probe: probeOf(probe),
    pid,
    language: "javascript",
    timestamp: hit.ts,
    thread,
    captures: { lines: { [String(probe.line)]: { captureExpressions: templateExpressions(paths, hit.v) } } },
    ...(heap === undefined ? {} : { heap })
  }
}

/** The four limits in the order the helper takes them. */
export const helperLimits = (p: LiveProbe): readonly [number, number, number, number] => {
  const l = resolveLimits(p.limits)
  return [l.maxReferenceDepth, l.maxCollectionSize, l.maxFieldCount, l.maxLength]
}
