/**
 * The composed agent: `runAgent` (logs, process, snapshot components and the status endpoint in one scope),
 * each component's constructor for embedding, and settings loading from a file plus the environment.
 */
export * from "./Agent.js"
export * from "./loadSettings.js"
export * from "./LogsComponent.js"
export * from "./ProcessComponent.js"
export * from "./SnapshotComponent.js"
