/**
 * Backoff for tracer-metadata lookups: tracers often publish after start, so a process without a memfd
 * is asked again after 5 s, then 10 s, 20 s, ... capped at 5 min, with no attempt limit (a tracer may
 * publish at any time). Pure; the watcher fiber applies it on its ticks.
 */
import { Duration } from "effect"

export interface RetryPolicy {
  readonly initial: Duration.Duration
  readonly max: Duration.Duration
}
export const defaultRetryPolicy: RetryPolicy = { initial: Duration.seconds(5), max: Duration.minutes(5) }

/** Delay before attempt `attempt + 1` (attempt 0 → initial). */
export const retryDelayMillis = (policy: RetryPolicy, attempt: number): number => {
  const initial = Duration.toMillis(policy.initial)
  const max = Duration.toMillis(policy.max)
  // 2^attempt overflows to Infinity long after the cap applies; min() keeps it finite.
  return Math.min(max, initial * Math.pow(2, Math.min(attempt, 64)))
}
