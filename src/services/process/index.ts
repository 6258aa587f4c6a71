/**
 * The process concern's public API: the resolver service (a cache of processes with their tracer metadata),
 * the /proc port it reads through, its events and their JSON serializers and schemas, tracer-metadata
 * decoding and discovery, command-line scrubbing, and the typed errors. Parsers, the LRU, scan diffing, retry
 * policy and metrics are internal.
 */
/** The resolver service and its constructor over a `ProcFs`. */
export { make as makeProcessResolver, ProcessResolver, type ProcessResolverShape } from "./ProcessResolver.js"
/** Resolver settings and their defaults. */
export { defaultResolverConfig, type ResolverConfig, resolverConfig } from "./ResolverConfig.js"
/** The /proc port (live and in-memory layers in `ProcessLayers`). */
export { type FdFileInfo, type FdLink, ProcFs, type ProcFsShape } from "./ProcFs.js"
/** A cached process and the key of one incarnation (pid and start time). */
export { keyOf, keyString, type ProcessEntry, type ProcessFacts, type ProcessKey } from "./ProcessEntry.js"
/** What the watcher publishes. */
export type { ProcessEvent } from "./ProcessEvent.js"
/** Events and reports as JSON: serializers, their Schemas and the generated JSON Schemas. */
export { processEventToJson, processJson, processReport, securityEvent } from "./Serializers.js"
export {
  ProcessContextJson,
  ProcessEventJson,
  ProcessEventType,
  ProcessJson,
  ProcessReportJson,
  SecurityEventJson
} from "./EventSchemas.js"
export { jsonSchemas, renderJsonSchema } from "./JsonSchemas.js"
/** Tracer metadata: the Schema, its msgpack decoder and the discovery of a process's memfd. */
export { TracerMetadata } from "./TracerMetadata.js"
export { decodeTracerMetadata, TRACER_METADATA_MAX_BYTES } from "./TracerMetadataCodec.js"
export { defaultDiscoveryOptions, type DiscoveryOptions, discoverTracerMetadata } from "./TracerMetadataDiscovery.js"
/** Command-line scrubbing of sensitive argument values. */
export { type ArgsScrubber, defaultSensitiveWords, InvalidSensitiveWord, makeArgsScrubber } from "./ArgsScrubber.js"
/** Typed errors of /proc reads and tracer-metadata discovery. */
export {
  NoTracerMemfd,
  PermissionDenied,
  ProcessGone,
  ProcFsError,
  type ProcReadError,
  type TracerMetadataDiscoveryError,
  TracerMetadataTooLarge,
  TracerMetadataUndecodable
} from "./errors.js"
