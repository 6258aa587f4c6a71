/**
 * The agent's snapshot pipeline: capture events appended as JSON lines to `*.jsonl` files in the capture
 * directory are tailed (with their own offset registry), encoded with the identity the process resolver
 * gives the target pid, rate limited per probe and uploaded. A layer: the tailer and the pipeline live and close
 * with it; it needs a `ProcessResolver` (the process component's, or one without a watcher).
 */
import * as Path from "node:path"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Either, Layer, Ref } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"
import { decodeEventLine } from "../../services/debugger/EventDecoder.js"
import { layerPipeline, type PipelineCounts, SnapshotPipeline } from "../../services/debugger/Pipeline.js"
import { layerRateLimiter } from "../../services/debugger/RateLimiter.js"
import { layer as encoderLayer } from "../../services/debugger/SnapshotEncoder.js"
import { Uploader, uploaderConfig, type UploadStats } from "../../services/debugger/Uploader.js"
import { ProcessInfoFromResolver } from "../debugger/ProcessInfoFromResolver.js"
import { SnapshotIdsRandom } from "../debugger/SnapshotIdsLayers.js"
import { UploaderLive } from "../debugger/UploaderLive.js"
import { runFileInput } from "../inputs/FileTailer.js"
import { layerRegistryStore, RegistryStore } from "../inputs/RegistryStore.js"
import { AgentComponents } from "./AgentComponents.js"

export interface SnapshotStatus {
  readonly state: "running"
  readonly captureDir: string
  readonly endpoint: string
  readonly invalidLines: number
  readonly pipeline: PipelineCounts
  readonly upload: UploadStats
}

const make = (captureDir: string, settings: AgentSettings["debugger"]) =>
  Effect.gen(function*() {
    const components = yield* AgentComponents
    const pipeline = yield* SnapshotPipeline
    const uploader = yield* Uploader
    const registry = yield* RegistryStore
    const invalid = yield* Ref.make(0)
    yield* runFileInput({ path: Path.join(captureDir, "*.jsonl"), startPosition: "beginning" }, (lines) =>
      Effect.forEach(lines, (line) => {
        const event = decodeEventLine(line.text, 0)
        const handled = Either.isLeft(event)
          ? Ref.update(invalid, (n) => n + 1).pipe(Effect.zipRight(
            Effect.logWarning("invalid capture event").pipe(Effect.annotateLogs({
              file: line.origin?.file ?? "?",
              endOffset: line.origin?.endOffset ?? -1,
              problem: event.left.message
            }))
          ))
          : Effect.asVoid(pipeline.submit(event.right))
        return Effect.ensuring(handled, Effect.sync(() => line.onAck?.()))
      }, { discard: true })).pipe(Effect.provideService(RegistryStore, registry), Effect.interruptible, Effect.forkScoped)
    yield* components.register("dynamic_instrumentation", Effect.gen(function*() {
      return {
        state: "running",
        captureDir,
        endpoint: settings.endpoint,
        invalidLines: yield* Ref.get(invalid),
        pipeline: yield* pipeline.counts,
        upload: yield* uploader.stats
      } satisfies SnapshotStatus
    }))
  })

/** The snapshot component; needs a `ProcessResolver` and `AgentComponents`. */
export const layer = (settings: AgentSettings["debugger"], stateDir: string) => {
  const captureDir = settings.captureDir ?? Path.join(stateDir, "captures")
  const identity = ProcessInfoFromResolver
  const pipeline = layerPipeline.pipe(
    Layer.provideMerge(Layer.mergeAll(
      encoderLayer().pipe(Layer.provide(Layer.merge(identity, SnapshotIdsRandom))),
      identity,
      UploaderLive(uploaderConfig(settings.endpoint)).pipe(Layer.provide(NodeHttpClient.layer)),
      layerRateLimiter()
    ))
  )
  return Layer.scopedDiscard(make(captureDir, settings)).pipe(
    Layer.provide(Layer.merge(pipeline, layerRegistryStore(Path.join(stateDir, "captures-registry.json"))))
  )
}
