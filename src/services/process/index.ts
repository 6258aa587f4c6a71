/**
 * Process resolver cache with full tracer metadata.
 *
 * - {@link TracerMetadata}: the Effect Schema of what a tracing library publishes in its
 *   `datadog-tracer-info-*` memfd; {@link decodeTracerMetadata} decodes msgpack field by field (a bad field
 *   is dropped and reported, the rest kept); {@link tags} yields its tag pairs in the fixed order.
 * - {@link ProcFs}: the procfs port (live adapter and in-memory adapter in the layers).
 * - {@link discoverTracerMetadata}: finds the newest tracer memfd of a pid, with distinct typed errors.
 * - {@link ProcessResolver}: the bounded cache keyed by (pid, start time), fed by a watcher that emits
 *   exec/fork/exit/tracer_metadata_found events (`subscribe` / `events`).
 * - Serializers: CWS-style security events ({@link securityEvent}), network tags ({@link networkTags}),
 *   watcher JSON lines ({@link processEventToJson}) and JSON Schemas of all of them ({@link jsonSchemas}).
 *
 * For another concern that needs a process's service identity (e.g. snapshot encoding):
 * `ProcessResolver.resolve(pid)` returns the {@link ProcessEntry} — `tracer` (Option<TracerMetadata>),
 * `facts.env` (DD_SERVICE/DD_ENV/DD_VERSION when the resolver reads environ), `facts.exe`, `parent` — and
 * {@link serviceIdentity} applies the precedence tracer metadata → environment → executable name, giving
 * service, env, version, hostname and process_tags with the source of the service name.
 */
export * from "./ArgsScrubber.js"
export * from "./errors.js"
export * from "./EventSchemas.js"
export * from "./JsonSchemas.js"
export * from "./Lru.js"
export * as Metrics from "./metrics.js"
export * from "./ProcessEntry.js"
export * from "./ProcessEvent.js"
export { make as makeProcessResolver, ProcessResolver, type ProcessResolverShape } from "./ProcessResolver.js"
export * from "./ProcFs.js"
export * from "./procParsers.js"
export * from "./ResolverConfig.js"
export * from "./RetryPolicy.js"
export * from "./ScanDiff.js"
export * from "./Serializers.js"
export * from "./TracerMetadata.js"
export * from "./TracerMetadataCodec.js"
export * from "./TracerMetadataDiscovery.js"
