/**
 * The agent's snapshot pipeline: capture events appended as JSON lines to `*.jsonl` files in the capture
 * directory are tailed (with their own offset registry), encoded with the identity the process resolver
 * gives the target pid, rate limited per probe and uploaded. A layer: the tailer and the pipeline live and close
 * with it; it needs a `ProcessResolver` (the process component's, or one without a watcher).
 */
import * as Path from "node:path"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Either, Layer, LogLevel, Ref } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"
import { decodeEventLine } from "../../services/debugger/EventDecoder.js"
import { countEvent, layerPipeline, type PipelineCounts, SnapshotPipeline } from "../../services/debugger/Pipeline.js"
import type { InputLine } from "../../services/inputs/InputLine.js"
import { layerRateLimiter, type ProbeRateLimiter } from "../../services/debugger/RateLimiter.js"
import { layer as encoderLayer } from "../../services/debugger/SnapshotEncoder.js"
import { Uploader, uploaderConfig, type UploadStats } from "../../services/debugger/Uploader.js"
import { layerFromResolver } from "../debugger/ProcessInfoFromResolver.js"
import { SnapshotIdsRandom } from "../debugger/SnapshotIdsLayers.js"
import { layer as layerUploader } from "../debugger/UploaderLive.js"
import { runFileInput } from "../inputs/FileTailer.js"
import { layerRegistryStore, RegistryStore } from "../inputs/RegistryStore.js"
import { AgentComponents } from "./AgentComponents.js"

export interface SnapshotStatus {
  /**
   * Always `running`: the pipeline has no way to stop on its own. Its file input ends only when the layer
   * closes (a capture pattern it cannot expand and a file it cannot read are logged, counted in
   * `dd_agent_inputs_file_errors_total` and retried at the next scan), and each line's handling catches its
   * own failures, so a bad line is counted invalid and the lines after it go on.
   */
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
    // Every line is either handed to the pipeline (its outcome is counted there) or counted invalid,
    // also when handling it failed unexpectedly: one line never stops the lines after it.
    const rejectLine = (line: InputLine, level: "Warning" | "Error", problem: string) =>
      Ref.update(invalid, (n) => n + 1).pipe(
        Effect.zipRight(countEvent("invalid")),
        Effect.zipRight(Effect.logWithLevel(LogLevel.fromLiteral(level), "invalid capture event").pipe(Effect.annotateLogs({
          file: line.origin?.file ?? "?",
          endOffset: line.origin?.endOffset ?? -1,
          problem
        })))
      )
    // A chunk is settled once each of its lines was handed to the pipeline or rejected: its position then
    // advances the capture files' registry.
    yield* runFileInput({ path: Path.join(captureDir, "*.jsonl"), startPosition: "beginning" }, (lines, position) =>
      Effect.forEach(lines, (line) =>
        Effect.suspend(() => {
          const event = decodeEventLine(line.text, 0)
          return Either.isLeft(event) ? rejectLine(line, "Warning", event.left.message) : Effect.asVoid(pipeline.submit(event.right))
        }).pipe(
          Effect.catchAllDefect((d) => rejectLine(line, "Error", `internal error: ${d instanceof Error ? d.message : String(d)}`))
        ), { discard: true }).pipe(
        Effect.zipRight(Effect.sync(() => position !== undefined && registry.acknowledge([position])))
      )).pipe(
      Effect.provideService(RegistryStore, registry),
      Effect.interruptible,
      Effect.forkScoped
    )
    yield* components.register("dynamic_instrumentation", Effect.gen(function*() {
      return {
        state: "running" as const,
        captureDir,
        endpoint: settings.endpoint,
        invalidLines: yield* Ref.get(invalid),
        pipeline: yield* pipeline.counts,
        upload: yield* uploader.stats
      } satisfies SnapshotStatus
    }))
  })

/** The snapshot pipeline (identities from the resolver, encoder, uploader, the given rate limiter). */
export const layerSnapshotPipeline = (
  settings: AgentSettings["debugger"],
  hostname: string,
  limiter: Layer.Layer<ProbeRateLimiter>
) => {
  const identity = layerFromResolver(hostname)
  return layerPipeline.pipe(
    Layer.provideMerge(Layer.mergeAll(
      encoderLayer().pipe(Layer.provide(Layer.merge(identity, SnapshotIdsRandom))),
      identity,
      layerUploader(uploaderConfig(settings.endpoint, { gzip: settings.gzip })).pipe(Layer.provide(NodeHttpClient.layer)),
      limiter
    ))
  )
}

/** The snapshot component; needs a `ProcessResolver` and `AgentComponents`. */
export const layer = (settings: AgentSettings["debugger"], stateDir: string, hostname: string) => {
  const captureDir = settings.captureDir ?? Path.join(stateDir, "captures")
  const pipeline = layerSnapshotPipeline(settings, hostname, layerRateLimiter())
  return Layer.scopedDiscard(make(captureDir, settings)).pipe(
    Layer.provide(Layer.merge(pipeline, layerRegistryStore(Path.join(stateDir, "captures-registry.json"))))
  )
}
