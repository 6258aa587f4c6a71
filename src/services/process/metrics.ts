/** Metrics of the process resolver (names are stable: dashboards depend on them). */
import { Duration, Metric, MetricBoundaries } from "effect"

export const cacheHits = Metric.counter("dd_agent_process_cache_hits_total", { incremental: true })
export const cacheMisses = Metric.counter("dd_agent_process_cache_misses_total", { incremental: true })
export const cacheEvictions = Metric.counter("dd_agent_process_cache_evictions_total", {
  incremental: true,
  description: "entries evicted because the cache hit its count or byte limit"
})
export const cacheEntries = Metric.gauge("dd_agent_process_cache_entries")
export const cacheBytes = Metric.gauge("dd_agent_process_cache_bytes")
export const events = Metric.counter("dd_agent_process_events_total", { incremental: true })
export const eventsDropped = Metric.counter("dd_agent_process_events_dropped_total", {
  incremental: true,
  description: "events not delivered to a subscriber whose buffer was full"
})
export const tracerMetadataFound = Metric.counter("dd_agent_process_tracer_metadata_found_total", { incremental: true })
export const tracerMetadataFailures = Metric.counter("dd_agent_process_tracer_metadata_failures_total", {
  incremental: true
})
export const tracerFieldIssues = Metric.counter("dd_agent_process_tracer_metadata_field_issues_total", {
  incremental: true
})
export const scans = Metric.counter("dd_agent_process_scans_total", { incremental: true })
export const scanFailures = Metric.counter("dd_agent_process_scan_failures_total", { incremental: true })
/** Fed the scan's Duration, exported in seconds. */
export const scanDuration = Metric.histogram(
  "dd_agent_process_scan_duration_seconds",
  MetricBoundaries.fromIterable([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5])
).pipe(Metric.mapInput((d: Duration.Duration) => Duration.toSeconds(d)))
