/**
 * The agent's snapshot pipeline: capture events appended as JSON lines to `*.jsonl` files in the capture
 * directory are tailed (with their own offset registry), encoded with the identity the process resolver
 * gives the target pid, rate limited per probe and uploaded.
 */
import * as Path from "node:path"
import { NodeHttpClient } from "@effect/platform-node"
import { Context, Effect, Either, Layer, Ref } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"
import { decodeEventLine } from "../../services/debugger/EventDecoder.js"
import { layerPipeline, type PipelineCounts, SnapshotPipeline } from "../../services/debugger/Pipeline.js"
import { layerRateLimiter } from "../../services/debugger/RateLimiter.js"
import { layer as encoderLayer } from "../../services/debugger/SnapshotEncoder.js"
import { Uploader, uploaderConfig, type UploadStats } from "../../services/debugger/Uploader.js"
import type { ProcessResolver } from "../../services/process/ProcessResolver.js"
import { ProcessInfoFromResolver } from "../debugger/ProcessInfoFromResolver.js"
import { SnapshotIdsRandom } from "../debugger/SnapshotIdsLayers.js"
import { UploaderLive } from "../debugger/UploaderLive.js"
import { runFileInput } from "../inputs/FileTailer.js"
import { layerRegistryStore } from "../inputs/RegistryStore.js"

export interface SnapshotStatus {
  readonly captureDir: string
  readonly endpoint: string
  readonly invalidLines: number
  readonly pipeline: PipelineCounts
  readonly upload: UploadStats
}

export const makeSnapshotComponent = (
  settings: AgentSettings["debugger"],
  stateDir: string,
  resolver: Context.Context<ProcessResolver>
) =>
  Effect.gen(function*() {
    const captureDir = settings.captureDir ?? Path.join(stateDir, "captures")
    const uploader = UploaderLive(uploaderConfig(settings.endpoint)).pipe(Layer.provide(NodeHttpClient.layer))
    const identity = ProcessInfoFromResolver.pipe(Layer.provide(Layer.succeedContext(resolver)))
    const ctx = yield* Layer.build(
      layerPipeline.pipe(
        Layer.provideMerge(Layer.mergeAll(
          encoderLayer().pipe(Layer.provide(Layer.merge(identity, SnapshotIdsRandom))),
          identity,
          uploader,
          layerRateLimiter()
        )),
        Layer.merge(layerRegistryStore(Path.join(stateDir, "captures-registry.json")))
      )
    )
    const pipeline = Context.get(ctx, SnapshotPipeline)
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
      }, { discard: true })).pipe(Effect.provide(ctx), Effect.interruptible, Effect.forkScoped)
    const status = Effect.gen(function*() {
      return {
        captureDir,
        endpoint: settings.endpoint,
        invalidLines: yield* Ref.get(invalid),
        pipeline: yield* pipeline.counts,
        upload: yield* Context.get(ctx, Uploader).stats
      } satisfies SnapshotStatus
    })
    return { status }
  })
