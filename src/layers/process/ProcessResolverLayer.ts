/**
 * Layers of the process resolver: the cache alone (resolve on demand), the cache with its watcher fiber
 * (rescans every `interval`, publishes events; the fiber lives and dies with the layer's scope), and
 * both over the real /proc.
 */
import { Effect, Layer } from "effect"
import type { ProcFs } from "../../services/process/ProcFs.js"
import { make, ProcessResolver } from "../../services/process/ProcessResolver.js"
import { resolverConfig, type ResolverConfig } from "../../services/process/ResolverConfig.js"
import * as ProcFsLive from "./ProcFsLive.js"

/** The cache without a watcher: entries are resolved on demand and never expire by themselves. */
export const layer = (config: Partial<ResolverConfig> = {}): Layer.Layer<ProcessResolver, never, ProcFs> =>
  Layer.scoped(ProcessResolver, make(resolverConfig(config)))

/** The cache fed by its watcher fiber (first scan at start-up, then every `interval`). */
export const layerWatching = (config: Partial<ResolverConfig> = {}): Layer.Layer<ProcessResolver, never, ProcFs> =>
  Layer.scoped(
    ProcessResolver,
    Effect.tap(make(resolverConfig(config)), (r) => Effect.forkScoped(Effect.interruptible(r.watch)))
  )

/** Over the real procfs at `procRoot` (default `/proc`). */
export const layerLive = (
  config: Partial<ResolverConfig> & { readonly procRoot?: string; readonly watch?: boolean } = {}
): Layer.Layer<ProcessResolver> =>
  (config.watch === false ? layer(config) : layerWatching(config)).pipe(Layer.provide(ProcFsLive.layer(config.procRoot)))
