/**
 * Log inputs, pure parts: the bounded line splitter, the per-file acknowledgement window, and the offset
 * registry's format and resume rule.
 */
export * from "./AckRanges.js"
export * from "./InputLine.js"
export * from "./LineSplitter.js"
export * from "./Registry.js"
