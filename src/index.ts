/**
 * dd-agent-effect public API: services, layers, programs, errors and schemas of each concern.
 */
export * as Cli from "./programs/cli.js"
export * as Loader from "./services/loader/index.js"
export * as LoaderLive from "./layers/loader/index.js"
