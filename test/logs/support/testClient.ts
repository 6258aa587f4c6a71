/**
 * A minimal contract-A client for tests: opens one LogsStream, sends batches built from datums, and records
 * acks and the final status.
 */
import * as grpc from "@grpc/grpc-js"
import { Deferred, Duration, Effect, Exit } from "effect"
import { type BatchStatusMessage, StatefulLogsClient } from "../../../src/layers/logs/grpcDefinition.js"
import { encodeBatchData } from "../../../src/services/logs/BatchCodec.js"
import type { ContentEncoding } from "../../../src/services/logs/ContentEncoding.js"
import type { Datum } from "../../../src/services/logs/Datum.js"

export interface TestStream {
  readonly acks: Array<number>
  readonly send: (batchId: number, datums: ReadonlyArray<Datum>) => Effect.Effect<void>
  readonly sendRaw: (batchId: number, data: Uint8Array) => Effect.Effect<void>
  readonly awaitAcks: (n: number) => Effect.Effect<void, Error>
  readonly end: Effect.Effect<void>
  readonly status: Effect.Effect<grpc.StatusObject, Error>
}

export const openTestStream = (
  port: number,
  /** `encoding: null` sends no dd-content-encoding header (the stream is identity). */
  options: { readonly apiKey?: string | undefined; readonly encoding?: ContentEncoding | string | null } = {}
) =>
  Effect.gen(function*() {
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => new StatefulLogsClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure())),
      (c) => Effect.sync(() => c.close())
    )
    const md = new grpc.Metadata()
    if (options.apiKey !== undefined) md.set("dd-api-key", options.apiKey)
    const encoding = options.encoding === undefined ? "zstd" : options.encoding
    if (encoding !== null) md.set("dd-content-encoding", encoding)
    const codec: ContentEncoding = encoding === "gzip" || encoding === "identity" || encoding === null ? encoding ?? "identity" : "zstd"
    const done = yield* Deferred.make<grpc.StatusObject>()
    const acks: Array<number> = []
    let ackWaiter: (() => void) | undefined
    const call = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const call = client.LogsStream(md)
        call.on("error", () => {})
        call.on("data", (m: BatchStatusMessage) => {
          acks.push(m.batchId)
          ackWaiter?.()
        })
        call.on("status", (s) => Deferred.unsafeDone(done, Exit.succeed(s)))
        return call
      }),
      (call) => Effect.sync(() => call.cancel())
    )
    const write = (batchId: number, data: Uint8Array) =>
      Effect.async<void>((resume) => {
        call.write({ batchId, data }, () => resume(Effect.void))
      })
    const stream: TestStream = {
      acks,
      sendRaw: write,
      send: (batchId, datums) =>
        write(batchId, encodeBatchData(datums, codec).data),
      awaitAcks: (n) =>
        Effect.async<void>((resume) => {
          const check = () => {
            if (acks.length >= n) {
              ackWaiter = undefined
              resume(Effect.void)
            }
          }
          ackWaiter = check
          check()
        }).pipe(
          Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Error(`timed out waiting for ${n} acks, got ${acks.length}`) }),
          Effect.raceFirst(Effect.flatMap(Deferred.await(done), (s) => acks.length >= n ? Effect.void : Effect.fail(new Error(`stream ended (${s.code} ${s.details}) after ${acks.length} acks`))))
        ),
      end: Effect.sync(() => call.end()),
      status: Deferred.await(done).pipe(
        Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Error("timed out waiting for the stream status") })
      )
    }
    return stream
  })
