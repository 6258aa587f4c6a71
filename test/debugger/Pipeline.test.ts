import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import type { UploadItem } from "../../src/services/debugger/Batcher.js"
import { defaultEncoderOptions } from "../../src/services/debugger/Limits.js"
import { layerPipeline, SnapshotPipeline } from "../../src/services/debugger/Pipeline.js"
import { layerRateLimiter } from "../../src/services/debugger/RateLimiter.js"
import { layer as encoderLayer } from "../../src/services/debugger/SnapshotEncoder.js"
import { emptyStats, Uploader } from "../../src/services/debugger/Uploader.js"
import { ProcessInfoStatic } from "../../src/layers/debugger/ProcessInfoLayers.js"
import { SnapshotIdsSequential } from "../../src/layers/debugger/SnapshotIdsLayers.js"
import { event, str, withArgs } from "./fixtures.js"

const harness = (capacity: number) =>
  Effect.gen(function*() {
    const offered = yield* Ref.make<ReadonlyArray<UploadItem>>([])
    const uploader = Layer.succeed(Uploader, Uploader.of({
      offer: (item) => Ref.modify(offered, (xs) => xs.length >= capacity ? [false, xs] : [true, [...xs, item]]),
      flush: Effect.void,
      stats: Effect.succeed(emptyStats)
    }))
    const processes = ProcessInfoStatic(new Map([[1, { tracer: { service_name: "svc", service_env: "prod" } }]]))
    const layer = layerPipeline.pipe(Layer.provide(Layer.mergeAll(
      encoderLayer({ ...defaultEncoderOptions, byteBudget: 4096 }).pipe(Layer.provide(Layer.merge(processes, SnapshotIdsSequential))),
      processes,
      uploader,
      layerRateLimiter()
    )))
    return { offered, layer }
  })

describe("snapshot pipeline", () => {
  it.effect("sends EMITTING once per probe version and ERROR once per failing probe version", () =>
    Effect.gen(function*() {
      const h = yield* harness(100)
      yield* Effect.gen(function*() {
        const p = yield* SnapshotPipeline
        const log = (version: number) => ({ ...event(), probe: { id: "lp", version, location: {}, captureSnapshot: false } })
        const outcomes = [
          yield* p.submit(log(1)),
          yield* p.submit(log(1)),
          yield* p.submit(log(2)),
          yield* p.submit(withArgs({ s: str("x") }, { pid: 99 })),
          // A fixed part larger than the 4 KiB budget: encoding fails.
          yield* p.submit(withArgs({}, { probe: { id: "big", version: 1, location: { method: "m".repeat(5000) } } })),
          yield* p.submit(withArgs({}, { probe: { id: "big", version: 1, location: { method: "m".repeat(5000) } }, timestamp: 5000 }))
        ]
        assert.deepStrictEqual(outcomes, ["queued", "queued", "queued", "unknownProcess", "encodeFailed", "rateLimited"])
        const items = yield* Ref.get(h.offered)
        const diags = items.filter((i) => i.channel === "diagnostic").map((i) => JSON.parse(i.json).debugger.diagnostics)
        assert.deepStrictEqual(diags.map((d) => [d.probeId, d.probeVersion, d.status]), [["lp", 1, "EMITTING"], ["lp", 2, "EMITTING"], ["big", 1, "ERROR"]])
        assert.strictEqual(diags[2].exception.type, "SnapshotTooLarge")
        assert.deepStrictEqual(items.filter((i) => i.channel === "snapshot").map((i) => i.ddtags), ["env:prod", "env:prod", "env:prod"])
        assert.deepStrictEqual(yield* p.counts, { queued: 3, rateLimited: 1, dropped: 0, encodeFailed: 1, unknownProcess: 1 })
      }).pipe(Effect.provide(h.layer))
    }))

  it.effect("counts a snapshot the uploader refused as dropped", () =>
    Effect.gen(function*() {
      const h = yield* harness(0)
      yield* Effect.gen(function*() {
        const p = yield* SnapshotPipeline
        assert.strictEqual(yield* p.submit(withArgs({})), "dropped")
      }).pipe(Effect.provide(h.layer))
    }))
})
