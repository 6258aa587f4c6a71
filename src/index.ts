/**
 * dd-agent-effect public API: services, layers, programs, errors and schemas of each concern.
 */
export * as Cli from "./programs/cli.js"
export * as Debugger from "./services/debugger/index.js"
export * as DebuggerLayers from "./layers/debugger/index.js"
