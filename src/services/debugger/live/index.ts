/**
 * Live capture's public API (the session itself is `attach` in `LiveCaptureLayers`): probes from `FILE:LINE`
 * specs or configuration, log templates, and the typed errors of attaching and installing. The code installed
 * in the target, hit payloads, script matching and /proc parsing are internal.
 */
/** A probe from a `FILE:LINE` spec, with its options and default rates. */
export {
  defaultGlobalLogsPerSecond,
  defaultGlobalSnapshotsPerSecond,
  defaultLogsPerSecond,
  defaultSnapshotsPerSecond,
  type FileLine,
  type LiveProbe,
  makeProbe,
  parseFileLine,
  type ProbeOptions
} from "./ProbeSpec.js"
/** Probes as the agent's configuration declares them. */
export { LiveProbeConfig } from "./ProbeConfig.js"
/** A log probe's message template (`total={cart.total}`). */
export { type LogTemplate, parseLogTemplate } from "./Template.js"
/** Typed errors: each names the pid, probe or file and the rule it broke. */
export * from "./errors.js"
