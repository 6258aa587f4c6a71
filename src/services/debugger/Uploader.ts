/**
 * The snapshot uploader port, its configuration and counters. The live implementation (HTTP, gzip,
 * retries, batching driver) is src/layers/debugger/UploaderLive.ts (`layer`).
 */
import { Context, Duration, Metric } from "effect"
import type { Redacted } from "effect"
import type { Effect } from "effect"
import type { BatchLimits, UploadItem } from "./Batcher.js"
import { defaultBatchLimits } from "./Batcher.js"

export interface UploaderConfig {
  /** Snapshot endpoint; `?ddtags=` is appended per batch. */
  readonly endpoint: URL
  /** Diagnostics endpoint (multipart `event` part). */
  readonly diagnosticsEndpoint: URL
  /** Sent as `DD-API-KEY` when uploading straight to an intake. */
  readonly apiKey?: Redacted.Redacted | undefined
  readonly batch: BatchLimits
  /** Queue bounds: items and bytes waiting to be batched. */
  readonly queueItems: number
  readonly queueBytes: number
  /** Requests in flight at once. */
  readonly maxInFlight: number
  /** Attempts per batch (first try included) for 429, 5xx and network errors. */
  readonly maxAttempts: number
  readonly backoffBase: Duration.Duration
  readonly requestTimeout: Duration.Duration
  /** Gzip request bodies (Content-Encoding: gzip); off by default, as the tracers send none. */
  readonly gzip: boolean
}

export const defaultAgentEndpoint = "http://127.0.0.1:8126/debugger/v2/input"

/**
 * Where snapshots go when an agent answers 404 on `/debugger/v2/input` (agents before it existed), as
 * dd-trace-js does: the diagnostics path beside it, with the same JSON body. Undefined for other endpoints.
 */
export const olderAgentEndpointFor = (endpoint: URL): URL | undefined =>
  endpoint.pathname.endsWith("/debugger/v2/input")
    ? new URL(endpoint.pathname.replace(/\/debugger\/v2\/input$/, "/debugger/v1/diagnostics") + endpoint.search, endpoint)
    : undefined

/** The agent's diagnostics path beside `/debugger/v2/input`; otherwise the snapshot endpoint itself. */
export const diagnosticsEndpointFor = (endpoint: URL): URL =>
  endpoint.pathname.endsWith("/debugger/v2/input")
    ? new URL(endpoint.pathname.replace(/\/debugger\/v2\/input$/, "/debugger/v1/diagnostics"), endpoint)
    : endpoint

export const uploaderConfig = (
  endpoint: string | URL = defaultAgentEndpoint,
  overrides: Partial<UploaderConfig> = {}
): UploaderConfig => {
  const url = new URL(endpoint)
  return {
    endpoint: url,
    diagnosticsEndpoint: diagnosticsEndpointFor(url),
    batch: defaultBatchLimits,
    queueItems: 4096,
    queueBytes: 32 * 1024 * 1024,
    maxInFlight: 4,
    maxAttempts: 5,
    backoffBase: Duration.millis(100),
    requestTimeout: Duration.seconds(10),
    gzip: false,
    ...overrides
  }
}

export interface UploadStats {
  readonly enqueued: number
  /** Refused because the queue was full (items or bytes). */
  readonly dropped: number
  readonly delivered: number
  /** Given up after the last attempt or a non-retryable status. */
  readonly failed: number
  readonly batches: number
  readonly retries: number
  readonly bytesRaw: number
  readonly bytesSent: number
  /** The snapshot URL in use: the configured one, or the older agent's path after a 404 (remembered). */
  readonly snapshotEndpoint: string
  /** The last failed attempt, e.g. `connection refused (127.0.0.1:8126)`. */
  readonly lastError: string | undefined
}

export const emptyStats: UploadStats = {
  enqueued: 0, dropped: 0, delivered: 0, failed: 0, batches: 0, retries: 0, bytesRaw: 0, bytesSent: 0,
  snapshotEndpoint: "", lastError: undefined
}

export class Uploader extends Context.Tag("dd-agent-effect/debugger/Uploader")<Uploader, {
  /** Queues an item; false when the queue is full (the item is dropped and counted). */
  readonly offer: (item: UploadItem) => Effect.Effect<boolean>
  /** Sends everything queued so far and waits for the requests to finish. */
  readonly flush: Effect.Effect<void>
  readonly stats: Effect.Effect<UploadStats>
}>() {}

export const uploadMetrics = {
  dropped: Metric.counter("dd_agent_debugger_upload_dropped_total", { incremental: true }),
  delivered: Metric.counter("dd_agent_debugger_upload_delivered_total", { incremental: true }),
  failed: Metric.counter("dd_agent_debugger_upload_failed_total", { incremental: true }),
  retries: Metric.counter("dd_agent_debugger_upload_retries_total", { incremental: true }),
  batches: Metric.counter("dd_agent_debugger_upload_batches_total", { incremental: true }),
  bytesRaw: Metric.counter("dd_agent_debugger_upload_raw_bytes_total", { incremental: true }),
  bytesSent: Metric.counter("dd_agent_debugger_upload_sent_bytes_total", { incremental: true })
}
