/**
 * Layers of the process concern: `ProcFsLive` (real procfs, root configurable or `$HOST_PROC`),
 * `ProcFsMemory` (in-memory procfs for tests) and `ProcessResolverLayer` (cache alone, cache + watcher,
 * both over the real /proc).
 */
export * as ProcFsLive from "./ProcFsLive.js"
export * as ProcFsMemory from "./ProcFsMemory.js"
export * as ProcessResolverLayer from "./ProcessResolverLayer.js"
