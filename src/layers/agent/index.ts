/**
 * The composed agent: `layer` (status endpoint, then the enabled components, each a layer whose finalizer is
 * its orderly stop), the components' registry and outcomes, each component's layer for embedding, and
 * settings loading from a file plus the environment.
 */
export { type AgentOptions, layer, StateDirError, StatusEndpoint } from "./Agent.js"
export * from "./AgentComponents.js"
export * from "./loadSettings.js"
export * as LogsComponent from "./LogsComponent.js"
export * as ProcessComponent from "./ProcessComponent.js"
export * as SnapshotComponent from "./SnapshotComponent.js"
export * as LiveCaptureComponent from "./LiveCaptureComponent.js"
