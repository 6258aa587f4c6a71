/**
 * Logs: the stateful, delta-encoded, compressed gRPC log stream (wire contract A).
 */
export * from "./BatchCodec.js"
export * from "./ContentEncoding.js"
export * from "./Datum.js"
export { type DecodedDatum, decodeDatumSequence, encodeDatumSequence } from "./DatumWire.js"
export * from "./DeltaEncoder.js"
export * from "./errors.js"
export { compilePattern, type CompiledPattern, rebuild } from "./Pattern.js"
export * from "./StreamDecoder.js"
