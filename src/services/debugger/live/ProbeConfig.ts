/**
 * `dynamic_instrumentation.probes` in the agent configuration: probes applied to every Node.js process
 * whose service (as the process resolver names it) matches, and what each process should carry. Pure.
 */
import { Either, Schema } from "effect"
import type { LiveProbe } from "./ProbeSpec.js"
import { makeProbe } from "./ProbeSpec.js"

const ProbeFields = Schema.Struct({
  /** Default `SERVICE:FILE:LINE`. */
  id: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256))),
  service: Schema.String.pipe(Schema.minLength(1)),
  file: Schema.String.pipe(Schema.minLength(1)),
  line: Schema.Int.pipe(Schema.positive()),
  /** JavaScript condition evaluated by V8 in the probed frame. */
  condition: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  /** Log probe template (`total={cart.total}`); without it the probe captures snapshots. */
  template: Schema.optional(Schema.String),
  /** Hits per second (default 1 snapshot/s, 5,000 log lines/s). */
  rate: Schema.optional(Schema.Number.pipe(Schema.positive()))
})

export const LiveProbeConfig = ProbeFields.pipe(Schema.filter((p) =>
  Either.match(toLiveProbe(p), { onLeft: (e) => ({ path: [p.template !== undefined ? "template" : "file"], message: e.message }), onRight: () => true })
))
export type LiveProbeConfig = typeof ProbeFields.Type

export interface ConfiguredProbe {
  readonly service: string
  readonly probe: LiveProbe
}

function toLiveProbe(p: typeof ProbeFields.Type) {
  return makeProbe(`${p.file}:${p.line}`, {
    id: p.id ?? `${p.service}:${p.file}:${p.line}`,
    condition: p.condition,
    template: p.template,
    perSecond: p.rate
  })
}

/** The configured probes (already validated by the schema). */
export const configuredProbes = (configs: ReadonlyArray<LiveProbeConfig>): ReadonlyArray<ConfiguredProbe> =>
  configs.flatMap((c) => Either.match(toLiveProbe(c), { onLeft: () => [], onRight: (probe) => [{ service: c.service, probe }] }))

/** What a process of `service` carrying `installed` probes must install and remove to match `desired`. */
export const reconcile = (
  service: string,
  desired: ReadonlyArray<ConfiguredProbe>,
  installed: ReadonlyMap<string, LiveProbe>
): { readonly install: ReadonlyArray<LiveProbe>; readonly remove: ReadonlyArray<string> } => {
  const wanted = new Map(desired.filter((d) => d.service === service).map((d) => [d.probe.id, d.probe] as const))
  const same = (a: LiveProbe, b: LiveProbe) => JSON.stringify(a) === JSON.stringify(b)
  return {
    install: [...wanted.values()].filter((p) => {
      const have = installed.get(p.id)
      return have === undefined || !same(have, p)
    }),
    remove: [...installed.keys()].filter((id) => !wanted.has(id))
  }
}
