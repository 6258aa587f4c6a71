/**
 * Live capture, pure parts: probe specs and templates, the code installed in the target (its breakpoint
 * conditions, its payloads) and the capture events built from them, script matching, /proc parsing.
 */
export * from "./errors.js"
export * from "./ProbeSpec.js"
export * from "./Template.js"
export * from "./TargetHelper.js"
export * from "./HitPayload.js"
export * from "./ScriptMatch.js"
export * from "./ProcSockets.js"
export * from "./ProbeConfig.js"
