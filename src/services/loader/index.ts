/**
 * Trace loader: holds the APM receiver sockets and starts the agent only when real traffic
 * arrives, absorbing TCP health probes. Pure parts (configuration, activation policy, /proc
 * classification rule, handover plan, inherited descriptor parsing), ports, errors and metrics.
 * Live adapters and the `runLoader` program are exported from `src/layers/loader`.
 */

/** Loader configuration decoded from datadog.yaml keys and `DD_*` variables. */
export * from "./Config.js"
/** Typed errors of every loader boundary. */
export * from "./errors.js"
/** The pure activation policy reducer: events in, decisions out. */
export * from "./Policy.js"
/** Parsing /proc/net/tcp{,6} and the closed/data/idle rule. */
export * from "./ProcNetTcp.js"
/** Descriptor layout (fd 3, 4, 5…) and environment for the agent. */
export * from "./HandoverPlan.js"
/** Agent side: which inherited descriptors to adopt. */
export * from "./InheritedFds.js"
/** The prefix stream of the portable classifier's handover. */
export * from "./PrefixStream.js"
/** The classifier port. */
export * from "./Classifier.js"
/** Loader metrics (accepted connections, absorbed probes, activations, classifier reads). */
export * as Metrics from "./Metrics.js"
