import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Layer, Queue, SubscriptionRef } from "effect"
import { AgentComponents } from "../../../src/layers/agent/AgentComponents.js"
import { run } from "../../../src/layers/agent/LiveCaptureComponent.js"
import type { LiveCaptureStatus } from "../../../src/layers/agent/LiveCaptureComponent.js"
import { layerFromResolver } from "../../../src/layers/debugger/ProcessInfoFromResolver.js"
import * as ProcessResolverLayer from "../../../src/layers/process/ProcessResolverLayer.js"
import type { CaptureEvent } from "../../../src/services/debugger/CaptureEvent.js"
import type { ConfiguredProbe } from "../../../src/services/debugger/live/ProbeConfig.js"
import { makeProbe } from "../../../src/services/debugger/live/ProbeSpec.js"
import { SnapshotPipeline } from "../../../src/services/debugger/Pipeline.js"
import { fixture, markerLine, spawnTarget } from "./target.js"

const app = fixture("app.js")

describe("agent live capture component", () => {
  it.scopedLive("applies configured probes to a process of the service as it starts, and removes them when they leave the config", () =>
    Effect.gen(function*() {
      const events = yield* Queue.unbounded<CaptureEvent>()
      const pipeline = Layer.succeed(SnapshotPipeline, SnapshotPipeline.of({
        submit: (e) => Effect.as(Queue.offer(events, e), "queued" as const),
        counts: Effect.succeed({ queued: 0, rateLimited: 0, dropped: 0, encodeFailed: 0, unknownProcess: 0 })
      }))
      const resolver = ProcessResolverLayer.layerLive({ readEnviron: true, interval: Duration.millis(100) })
      const env = Layer.mergeAll(pipeline, AgentComponents.layer, layerFromResolver("test-host")).pipe(Layer.provideMerge(resolver))
      const ctx = yield* Layer.build(env)
      const probe = Either.getOrThrow(makeProbe(`app.js:${markerLine(app, "function")}`, { id: "price" }))
      const desired = yield* SubscriptionRef.make<ReadonlyArray<ConfiguredProbe>>([{ service: "shop", probe }])
      yield* run(desired).pipe(Effect.provide(ctx))
      // Another service is left alone; the shop process is probed once it starts.
      const other = yield* spawnTarget(app, { env: { DD_SERVICE: "other" } })
      const shop = yield* spawnTarget(app, { env: { DD_SERVICE: "shop" } })
      const event = yield* Queue.take(events).pipe(Effect.timeoutFail({ duration: "30 seconds", onTimeout: () => new Error("no capture") }))
      assert.strictEqual(event.pid, shop.pid)
      assert.strictEqual(event.probe.id, "price")
      const components = yield* AgentComponents.pipe(Effect.provide(ctx))
      const status = (yield* components.statuses).live_capture as LiveCaptureStatus
      assert.deepStrictEqual(status.probes.map((p) => [p.id, p.processes.map((x) => [x.pid, x.status])]), [["price", [[shop.pid, "installed"]]]])
      assert.isAtLeast(status.probes[0]!.processes[0]!.hits, 1)
      yield* other.waitFor((l) => l.endsWith(" clean"))
      // The probe leaves the configuration: the process is detached and runs on without the helper.
      yield* SubscriptionRef.set(desired, [])
      const t = Number((yield* shop.waitFor((l) => l.endsWith(" clean"))).split(" ")[1])
      yield* shop.waitFor((l) => l === `tick ${t + 5} clean`)
      const after = (yield* components.statuses).live_capture as LiveCaptureStatus
      assert.deepStrictEqual(after.probes, [])
    }), 120_000)
})
