import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, TestServices } from "effect"
import { datadog } from "../../src/generated/stateful_encoding.js"
import { channelOptions, makeGrpcStreamTransport, requestMetadata } from "../../src/layers/logs/GrpcStreamTransport.js"
import { serializeBatch } from "../../src/layers/logs/grpcDefinition.js"

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

describe("StatefulBatch serialization", () => {
  it("writes the bytes the generated encoder writes, for every varint width of the id and the length", () => {
    const pb = datadog.intake.stateful
    for (const batchId of [0, 1, 127, 128, 16_383, 16_384, 2 ** 21, 2 ** 28, 2 ** 32 - 1]) {
      for (const length of [0, 1, 127, 128, 16_384, 200_000]) {
        const data = Uint8Array.from({ length }, (_, i) => (i * 31 + batchId) & 0xff)
        const expected = Buffer.from(pb.StatefulBatch.encode({ batchId, data }).finish())
        const bytes = serializeBatch({ batchId, data })
        assert.isTrue(bytes.equals(expected), `batchId ${batchId}, ${length} bytes`)
        const back = pb.StatefulBatch.decode(bytes)
        assert.strictEqual(back.batchId ?? 0, batchId)
        assert.isTrue(Buffer.from(back.data ?? []).equals(Buffer.from(data)))
      }
    }
  })
})
