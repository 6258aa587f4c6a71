/**
 * Per-probe rate limiting: one token bucket per probe id, driven by the Clock (TestClock in tests).
 * The table of buckets is bounded; the least recently created bucket is forgotten first.
 */
import { Clock, Context, Effect, Layer, Metric, Ref } from "effect"
import type { Probe } from "./CaptureEvent.js"
import type { Bucket } from "./TokenBucket.js"
import { probeRate, takeToken } from "./TokenBucket.js"

export const rateLimitedTotal = Metric.counter("dd_agent_debugger_rate_limited_total", { incremental: true })

export class ProbeRateLimiter extends Context.Tag("dd-agent-effect/debugger/ProbeRateLimiter")<ProbeRateLimiter, {
  /** true when the probe may emit now (consumes a token). */
  readonly allow: (probe: Probe) => Effect.Effect<boolean>
}>() {}

export const makeProbeRateLimiter = (maxProbes = 10_000) =>
  Effect.map(Ref.make(new Map<string, Bucket>()), (buckets) =>
    ProbeRateLimiter.of({
      allow: (probe) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.modify(buckets, (m) => {
            const [allowed, next] = takeToken(m.get(probe.id), now, probeRate(probe))
            if (!m.has(probe.id) && m.size >= maxProbes) {
              const oldest = m.keys().next()
              if (oldest.done !== true) m.delete(oldest.value)
            }
            m.set(probe.id, next)
            return [allowed, m] as const
          })).pipe(Effect.tap((allowed) => allowed ? Effect.void : Metric.increment(rateLimitedTotal)))
    }))

export const layerRateLimiter = (maxProbes?: number) => Layer.effect(ProbeRateLimiter, makeProbeRateLimiter(maxProbes))

/** No limiting (replaying recorded events). */
export const layerUnlimited = Layer.succeed(ProbeRateLimiter, ProbeRateLimiter.of({ allow: () => Effect.succeed(true) }))
