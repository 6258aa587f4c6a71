/**
 * dd-agent-effect public API: services (tags, schemas, typed errors, pure cores) and layers (live adapters)
 * of each concern and the composed agent. The CLI (src/programs) is not part of the API.
 */
/** Logs: wire codec, stream decoder, delta encoder, translator, batcher, inflight tracker, stream worker, sender. */
export * as Logs from "./services/logs/index.js"
/** Logs adapters: grpc-js transport and sender layers, the reference intake server and its outputs. */
export * as LogsLayers from "./layers/logs/index.js"
/** Process resolver cache with tracer metadata, serializers, JSON Schemas. */
export * as Process from "./services/process/index.js"
export * as ProcessLayers from "./layers/process/index.js"
/** Dynamic Instrumentation snapshot encoder, rate limits, uploader port. */
export * as Debugger from "./services/debugger/index.js"
export * as DebuggerLayers from "./layers/debugger/index.js"
/** Live capture from running Node.js processes: probe specs, target helper, payloads (pure) and the session. */
export * as LiveCapture from "./services/debugger/live/index.js"
export * as LiveCaptureLayers from "./layers/debugger/live/index.js"
/** Trace loader: configuration, activation policy, handover plan. */
export * as Loader from "./services/loader/index.js"
export * as LoaderLayers from "./layers/loader/index.js"
/** Agent configuration (Schema, decoding with DD_* overrides, effective settings). */
export * as Config from "./services/config/index.js"
/** Log inputs: line splitting, acknowledgement windows, offset registry (pure) and their live adapters. */
export * as Inputs from "./services/inputs/index.js"
export * as InputsLayers from "./layers/inputs/index.js"
/** Status endpoint (/status, /metrics) and OpenMetrics rendering. */
export * as Status from "./layers/status/StatusServer.js"
export { renderOpenMetrics } from "./services/status/OpenMetrics.js"
/** The composed agent and its components. */
export * as Agent from "./layers/agent/index.js"
