/**
 * Log inputs' public types and pure parts: the line an input produces and the sink it hands lines to, the
 * bounded line splitter, and the offset registry's file format. Acknowledgement windows and the resume rule
 * are internal.
 */
/** A line read by an input, and the sink inputs hand lines to (its waiting is the backpressure). */
export { type InputLine, inputTags, type LineSink } from "./InputLine.js"
/** Bytes to lines, with one line-length limit and the same line endings for every input. */
export { defaultMaxLineBytes, LineSplitter, type SplitLine } from "./LineSplitter.js"
/** The offset registry's file format. */
export { emptyRegistry, parseRegistry, RegistryEntry, RegistryFile } from "./Registry.js"
