/**
 * Live capture adapters: the inspector locator (/proc, SIGUSR1, loopback only), the CDP client, source
 * maps of loaded scripts, and the session that sets probes and turns hits into capture events.
 */
export { connect } from "./CdpClient.js"
export type { CdpClient } from "./CdpClient.js"
export { inspectFlags, locateInspector } from "./InspectorLocator.js"
export type { InspectorTarget, LocateOptions } from "./InspectorLocator.js"
export { attach } from "./LiveSession.js"
export type { LiveHit, LiveSession, LiveSessionOptions, ProbeState, ProbeStatus, SessionCounters } from "./LiveSession.js"
export { generatedLine, loadSourceMap, originalPosition } from "./SourceMaps.js"
