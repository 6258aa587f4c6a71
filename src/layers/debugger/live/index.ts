/**
 * Live capture: `attach` finds a Node.js process's inspector (loopback only), and the session sets probes
 * and turns hits into capture events. The CDP client and source-map handling are internal.
 */
/** Attaches to a process by pid; the session lives in the caller's scope and detaches when it closes. */
export { attach } from "./LiveSession.js"
export type { LiveHit, LiveSession, LiveSessionOptions, ProbeState, ProbeStatus, SessionCounters } from "./LiveSession.js"
/** Where a process's inspector listens (used by `attach`; also useful to check a target first). */
export { locateInspector } from "./InspectorLocator.js"
export type { InspectorTarget, LocateOptions } from "./InspectorLocator.js"
