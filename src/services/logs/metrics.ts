/** Effect metrics of the logs sender. Updated per batch or per event, never per log. */
import { Metric } from "effect"

export const batchesSent = Metric.counter("dd_agent_logs_sender_batches_sent_total", { description: "data batches written to a stream (retransmissions included)", incremental: true })
export const batchesAcked = Metric.counter("dd_agent_logs_sender_batches_acked_total", { description: "data batches acknowledged", incremental: true })
export const batchesRetransmitted = Metric.counter("dd_agent_logs_sender_batches_retransmitted_total", { description: "data batches written again after a rotation", incremental: true })
export const snapshotsSent = Metric.counter("dd_agent_logs_sender_snapshots_sent_total", { description: "snapshot batches (id 0) written", incremental: true })
export const logsSent = Metric.counter("dd_agent_logs_sender_logs_sent_total", { description: "logs in written batches", incremental: true })
export const logsAcked = Metric.counter("dd_agent_logs_sender_logs_acked_total", { description: "logs in acknowledged batches", incremental: true })
export const logsRejected = Metric.counter("dd_agent_logs_sender_logs_rejected_total", { description: "logs refused by the sender, by reason", incremental: true })
export const bytesUncompressed = Metric.counter("dd_agent_logs_sender_uncompressed_bytes_total", { description: "serialized DatumSequence bytes of written batches", incremental: true })
export const bytesCompressed = Metric.counter("dd_agent_logs_sender_compressed_bytes_total", { description: "compressed payload bytes of written batches", incremental: true })
export const rotations = Metric.counter("dd_agent_logs_sender_rotations_total", { description: "stream rotations, by reason", incremental: true })
export const stateTransitions = Metric.counter("dd_agent_logs_sender_state_transitions_total", { description: "stream worker state transitions, by from/to", incremental: true })
/** Fed milliseconds (the worker's timer unit), exported in seconds. */
export const backoffMillis = Metric.counter("dd_agent_logs_sender_backoff_seconds_total", { description: "time spent waiting in backoff", incremental: true }).pipe(
  Metric.mapInput((ms: number) => ms / 1000)
)
export const streamErrors = Metric.counter("dd_agent_logs_sender_stream_errors_total", { description: "stream failures, by class", incremental: true })
export const inflightPayloads = Metric.gauge("dd_agent_logs_sender_inflight_payloads", { description: "payloads held by the inflight tracker" })
export const inflightBytes = Metric.gauge("dd_agent_logs_sender_inflight_bytes", { description: "compressed bytes held by the inflight tracker" })
export const inflightFull = Metric.counter("dd_agent_logs_sender_inflight_full_total", { description: "times input was held back because the inflight tracker was full", incremental: true })
export const dictionarySize = Metric.gauge("dd_agent_logs_sender_dictionary_entries", { description: "live dictionary entries" })
