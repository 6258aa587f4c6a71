/** Settings of the process resolver, with defaults a production host can run with. */
import { Duration } from "effect"
import { type ArgsScrubber, defaultArgsScrubber } from "./ArgsScrubber.js"
import { defaultRetryPolicy, type RetryPolicy } from "./RetryPolicy.js"
import { defaultDiscoveryOptions, type DiscoveryOptions } from "./TracerMetadataDiscovery.js"

export interface ResolverConfig {
  /** How often the watcher rescans /proc. */
  readonly interval: Duration.Duration
  /** Cache bounds (least recently used entries are evicted first). */
  readonly maxEntries: number
  readonly maxBytes: number
  /** Read /proc/<pid>/environ to keep DD_SERVICE/DD_ENV/DD_VERSION (off by default: environments hold secrets). */
  readonly readEnviron: boolean
  readonly retry: RetryPolicy
  readonly discovery: DiscoveryOptions
  /** Per-subscriber event buffer; events beyond it are dropped for that subscriber and counted. */
  readonly eventBuffer: number
  /** Lineage walks stop after this many ancestors. */
  readonly maxAncestors: number
  /** Parallel /proc reads during a scan. */
  readonly concurrency: number
  /** Scrubs secrets from command lines before they enter the cache; undefined keeps them verbatim. */
  readonly argsScrubber: ArgsScrubber | undefined
}

export const defaultResolverConfig: ResolverConfig = {
  interval: Duration.seconds(1),
  maxEntries: 8192,
  maxBytes: 32 * 1024 * 1024,
  readEnviron: false,
  retry: defaultRetryPolicy,
  discovery: defaultDiscoveryOptions,
  eventBuffer: 1024,
  maxAncestors: 64,
  concurrency: 16,
  argsScrubber: defaultArgsScrubber
}

export const resolverConfig = (overrides: Partial<ResolverConfig> = {}): ResolverConfig => ({
  ...defaultResolverConfig,
  ...overrides
})
