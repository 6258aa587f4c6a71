import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ProcFsMemory from "../../src/layers/process/ProcFsMemory.js"
import { ProcFs } from "../../src/services/process/ProcFs.js"
import { discoverTracerMetadata, isTracerMemfdLink } from "../../src/services/process/TracerMetadataDiscovery.js"
import { fds, memfd, meta, proc, socket } from "./fakes.js"

const discover = (pid: number) => Effect.flatMap(ProcFs, (fs) => Effect.either(discoverTracerMetadata(fs, pid)))

describe("tracer metadata discovery", () => {
  it("matches only the tracer memfd prefix", () => {
    assert.isTrue(isTracerMemfdLink("/memfd:datadog-tracer-info-abcd1234 (deleted)"))
    assert.isFalse(isTracerMemfdLink("/memfd:datadog-tracer-info (deleted)")) // old unsuffixed Java name
    assert.isFalse(isTracerMemfdLink("/memfd:OTEL_CTX (deleted)"))
    assert.isFalse(isTracerMemfdLink("/tmp/datadog-tracer-info-x"))
  })

  it.effect("picks the newest memfd by mtime, whatever the fd order", () =>
    Effect.gen(function*() {
      const r = yield* discover(7)
      assert.isTrue(r._tag === "Right")
      if (r._tag !== "Right") return
      assert.strictEqual(r.right.metadata.service_name, "republished")
      assert.strictEqual(r.right.source.fd, 4)
      assert.strictEqual(r.right.candidates, 3)
    }).pipe(Effect.provide(ProcFsMemory.layer([
      proc(7, 1, 10, "python3", {
        fds: fds(
          [0, socket(1)],
          [3, memfd("stale000", meta("inherited"), 100n, 1)],
          [4, memfd("fresh000", meta("republished"), 300n, 2)],
          [9, memfd("middle00", meta("middle"), 200n, 3)]
        )
      })
    ]))))

  it.effect("breaks an mtime tie with the greater runtime_id", () =>
    Effect.gen(function*() {
      const r = yield* discover(7)
      assert.strictEqual(r._tag === "Right" && r.right.metadata.runtime_id, "zzz")
    }).pipe(Effect.provide(ProcFsMemory.layer([
      proc(7, 1, 10, "python3", {
        fds: fds([3, memfd("a", meta("one", "zzz"), 100n, 1)], [5, memfd("b", meta("two", "aaa"), 100n, 2)])
      })
    ]))))

  it.effect("skips an undecodable candidate when another decodes", () =>
    Effect.gen(function*() {
      const r = yield* discover(7)
      assert.strictEqual(r._tag === "Right" && r.right.metadata.service_name, "good")
    }).pipe(Effect.provide(ProcFsMemory.layer([
      proc(7, 1, 10, "python3", {
        fds: fds([3, memfd("good", meta("good"), 100n, 1)], [4, memfd("bad", Uint8Array.from([0x93, 1]), 900n, 2)])
      })
    ]))))

  it.effect("distinct typed errors: gone, permission denied, none published, too large, undecodable", () =>
    Effect.gen(function*() {
      const tags = yield* Effect.forEach([404, 1, 2, 3, 4, 5], (pid) =>
        Effect.map(discover(pid), (r) => r._tag === "Left" ? r.left._tag : "found"))
      assert.deepStrictEqual(tags, [
        "ProcessGone",
        "PermissionDenied",
        "NoTracerMemfd",
        "TracerMetadataTooLarge",
        "TracerMetadataUndecodable",
        "TracerMetadataUndecodable"
      ])
    }).pipe(Effect.provide(ProcFsMemory.layer([
      proc(1, 0, 1, "init", { denied: new Set(["fd"] as const) }),
      proc(2, 1, 2, "sleep", { fds: fds([0, socket(1)], [1, { target: "/dev/null" }]) }),
      proc(3, 1, 3, "big", { fds: fds([3, memfd("big", new Uint8Array(64 * 1024 + 1), 1n, 1)]) }),
      proc(4, 1, 4, "empty", { fds: fds([3, memfd("empty", new Uint8Array(), 1n, 1)]) }),
      proc(5, 1, 5, "notmap", { fds: fds([3, memfd("arr", Uint8Array.from([0x91, 0x01]), 1n, 1)]) })
    ]))))
})
