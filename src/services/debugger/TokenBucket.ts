/**
 * Pure token bucket with fractional refill: a rate of 0.5/s lets one event through every 2 s.
 * Capacity is one second of tokens, at least 1, so a burst never exceeds the per-second rate.
 */
export interface Bucket {
  readonly tokens: number
  /** Time of the last refill, ms. */
  readonly at: number
}

export const capacityOf = (ratePerSecond: number): number => Math.max(1, ratePerSecond)

/** Takes one token at `now` (ms); a missing bucket starts full. */
export const takeToken = (
  bucket: Bucket | undefined,
  now: number,
  ratePerSecond: number
): readonly [allowed: boolean, next: Bucket] => {
  const cap = capacityOf(ratePerSecond)
  const from = bucket ?? { tokens: cap, at: now }
  const refilled = Math.min(cap, from.tokens + (Math.max(0, now - from.at) * ratePerSecond) / 1000)
  // Tolerate float error (0.1 * 10 refills is 0.9999…).
  return refilled >= 1 - 1e-9 ? [true, { tokens: Math.max(0, refilled - 1), at: now }] : [false, { tokens: refilled, at: now }]
}

/** Default rates: snapshot probes 1/s, log probes 5000/s, unless the probe sets `sampling.snapshotsPerSecond`. */
export const probeRate = (probe: {
  readonly captureSnapshot?: boolean | undefined
  readonly sampling?: { readonly snapshotsPerSecond?: number | undefined } | undefined
}): number => probe.sampling?.snapshotsPerSecond ?? (probe.captureSnapshot === false ? 5000 : 1)
