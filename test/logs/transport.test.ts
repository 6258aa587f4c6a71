import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, TestServices } from "effect"
import { channelOptions, makeGrpcStreamTransport, requestMetadata } from "../../src/layers/logs/GrpcStreamTransport.js"

const options = { host: "intake.example", port: 443, apiKey: Redacted.make("s3cr3t"), insecure: false, encoding: "zstd" as const }

describe("GrpcStreamTransport settings", () => {
  it("keepalive is one a default gRPC server accepts: pings no more often than every 5 min, none without calls", () => {
    const o = channelOptions(options)
    assert.isAtLeast(o["grpc.keepalive_time_ms"] as number, 300_000)
    assert.strictEqual(o["grpc.keepalive_permit_without_calls"], 0)
  })

  it("sends the contract's request metadata on every call; the key stays redacted elsewhere", () => {
    const md = requestMetadata(options).getMap()
    assert.deepStrictEqual(Object.keys(md).sort(), ["dd-api-key", "dd-content-encoding", "dd-evp-origin", "dd-evp-origin-version", "dd-protocol"])
    assert.strictEqual(md["dd-api-key"], "s3cr3t")
    assert.strictEqual(md["dd-content-encoding"], "zstd")
    assert.notInclude(String(options.apiKey), "s3cr3t")
    assert.notInclude(JSON.stringify(options), "s3cr3t")
  })

  it.scoped("the connect deadline comes from the Effect clock: at TestClock's epoch a 60 s timeout has long passed", () =>
    Effect.gen(function*() {
      // Nothing listens on port 1; a wall-clock deadline would keep retrying for 60 s.
      const transport = yield* makeGrpcStreamTransport({ ...options, host: "127.0.0.1", port: 1, insecure: true, connectTimeoutMs: 60_000 })
      const failure = yield* Effect.raceFirst(
        transport.open({ onAck: () => {} }).pipe(Effect.scoped, Effect.flip),
        TestServices.provideLive(Effect.sleep("5 seconds")).pipe(Effect.zipRight(Effect.dieMessage("the deadline did not follow the clock")))
      )
      assert.strictEqual(failure.code, 14)
      assert.include(failure.details, "connect to 127.0.0.1:1")
    }))
})
