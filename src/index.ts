/**
 * dd-agent-effect public API: services, layers, programs, errors and schemas of each concern.
 */
export * as Cli from "./programs/cli.js"
export * as Logs from "./services/logs/index.js"
export * as LogsSenderLayers from "./layers/logs/senderLayers.js"
