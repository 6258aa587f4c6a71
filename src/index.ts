/**
 * dd-agent-effect public API: services, layers, programs, errors and schemas of each concern.
 */
export * as Cli from "./programs/cli.js"
export * as Logs from "./services/logs/index.js"
export * as Process from "./services/process/index.js"
export * as ProcessLayers from "./layers/process/index.js"
export * as Loader from "./services/loader/index.js"
export * as LoaderLive from "./layers/loader/index.js"
export * as Debugger from "./services/debugger/index.js"
export * as DebuggerLayers from "./layers/debugger/index.js"
export * as LogsSenderLayers from "./layers/logs/senderLayers.js"
