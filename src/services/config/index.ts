/**
 * The agent's configuration: the datadog.yaml-style Schema, decoding from YAML with `DD_*` overrides (errors
 * with key path and file line), and the effective settings with defaults.
 */
export * from "./AgentConfig.js"
export * from "./AgentSettings.js"
export * from "./decodeConfig.js"
