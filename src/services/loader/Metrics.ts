/** Loader metrics: what an operator asks about a loader that has not started the agent yet. */
import { Metric } from "effect"

export const connectionsAccepted = Metric.counter("dd_agent_loader_connections_accepted_total", {
  incremental: true,
  description: "Connections accepted on the held receiver sockets"
})
export const probesAbsorbed = Metric.counter("dd_agent_loader_probes_absorbed_total", {
  incremental: true,
  description: "TCP connections that closed (FIN or RST) without data and were dropped"
})
export const activations = Metric.counter("dd_agent_loader_activations_total", {
  incremental: true,
  description: "Agent starts, tagged by reason"
})
export const classifierLookups = Metric.counter("dd_agent_loader_classifier_lookups_total", {
  incremental: true,
  description: "Reads of the kernel TCP tables (one per tick, shared by every held connection)"
})
export const eventQueueFull = Metric.counter("dd_agent_loader_event_queue_full_total", {
  incremental: true,
  description: "Accepted connections that found the event queue full (the agent is then started)"
})
