/** Loader metrics: what an operator asks about a loader embedded in an Effect program. */
import { Metric } from "effect"

export const probesAbsorbed = Metric.counter("dd_agent_loader_probes_absorbed_total", {
  incremental: true,
  description: "TCP connections that closed (FIN or RST) without data and were dropped before activation"
})
export const activations = Metric.counter("dd_agent_loader_activations_total", {
  incremental: true,
  description: "Agent starts, tagged by reason"
})
