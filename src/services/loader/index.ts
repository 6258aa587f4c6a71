/**
 * Trace loader: holds the APM receiver sockets and starts the agent only when real traffic
 * arrives, absorbing TCP health probes. Pure parts (configuration, activation policy, /proc
 * classification rule, handover plan, inherited descriptor parsing), ports, errors and metrics.
 * Live adapters and the `runLoader` program are exported from `src/layers/loader`.
 */

/** Loader configuration decoded from datadog.yaml keys and `DD_*` variables. */
export { agentEnabled, DEFAULT_RECEIVER_SOCKET, decodeLoaderConfig, LoaderConfig, LogLevelName } from "./Config.js"
/** Typed errors of every loader boundary. */
export * from "./errors.js"
/** The pure activation policy reducer: events in, decisions out. */
export { Classification, Decision, initialState, type PolicyConfig, PolicyEvent, type PolicyState, step } from "./Policy.js"
