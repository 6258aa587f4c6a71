import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { ProcessInfoFromResolver } from "../../src/layers/debugger/ProcessInfoFromResolver.js"
import * as ProcFsMemory from "../../src/layers/process/ProcFsMemory.js"
import * as ResolverLayer from "../../src/layers/process/ProcessResolverLayer.js"
import { ProcessInfo } from "../../src/services/debugger/ProcessInfo.js"
import { fds, memfd, meta, proc } from "../process/fakes.js"

const world = [
  proc(1, 0, 1, "init"),
  // A traced process: its identity comes from the tracer metadata it published.
  proc(40, 1, 10, "python3", { fds: fds([5, memfd("a", meta("checkout"), 100n, 900)]) }),
  // No tracer: DD_SERVICE from its environment (the resolver reads environ when configured to).
  proc(41, 1, 11, "java", { environ: { DD_SERVICE: "billing", DD_ENV: "staging" } }),
  // Neither: the executable name.
  proc(42, 1, 12, "node")
]

const layer = ProcessInfoFromResolver.pipe(
  Layer.provide(ResolverLayer.layer({ readEnviron: true })),
  Layer.provideMerge(ProcFsMemory.layer(world))
)

describe("snapshot identity from the process resolver", () => {
  it.scoped("tracer metadata, then the process environment, then the executable name; unknown pids have none", () =>
    Effect.gen(function*() {
      const info = yield* ProcessInfo
      const traced = Option.getOrThrow(yield* info.lookup(40))
      assert.deepStrictEqual(
        { service: traced.service, env: traced.env, version: traced.version, hostname: traced.hostname, tags: traced.processTags, source: traced.serviceSource },
        { service: "checkout", env: "prod", version: "1.0", hostname: "host-a", tags: ["entrypoint.name:app"], source: "tracer" }
      )
      const fromEnv = Option.getOrThrow(yield* info.lookup(41))
      assert.deepStrictEqual([fromEnv.service, fromEnv.env, fromEnv.serviceSource], ["billing", "staging", "environment"])
      const fromExe = Option.getOrThrow(yield* info.lookup(42))
      assert.deepStrictEqual([fromExe.service, fromExe.serviceSource], ["node", "executable"])
      assert.isTrue(Option.isNone(yield* info.lookup(4242)))

      // The pid is reused by another process: its identity, not the cached one.
      const fs = yield* ProcFsMemory.ProcFsMemory
      yield* fs.put(proc(42, 1, 99, "ruby", { environ: { DD_SERVICE: "reborn" } }))
      const reused = Option.getOrThrow(yield* info.lookup(42))
      assert.deepStrictEqual([reused.service, reused.serviceSource], ["reborn", "environment"])
    }).pipe(Effect.provide(layer)))
})
