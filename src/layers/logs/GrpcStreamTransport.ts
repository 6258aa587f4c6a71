/**
 * The live StreamTransport: one grpc-js channel per endpoint (shared by every worker), one bidirectional
 * `LogsStream` call per stream. The channel lives in the layer's scope and each call in the scope given to
 * `open`, whose release cancels the call unless it already finished — nothing else ever closes it.
 */
import * as grpc from "@grpc/grpc-js"
import { Clock, Deferred, Effect, Exit, Layer, Redacted } from "effect"
import type { ContentEncoding } from "../../services/logs/ContentEncoding.js"
import { GrpcCode, StreamFailure } from "../../services/logs/errors.js"
import { type StreamEnd, type StreamSession, StreamTransport } from "../../services/logs/StreamTransport.js"
import { MetadataKeys, StatefulLogsClient } from "./grpcDefinition.js"

export interface GrpcTransportOptions {
  readonly host: string
  readonly port: number
  readonly apiKey: Redacted.Redacted<string>
  /** Plaintext HTTP/2; only for loopback or trusted networks. TLS otherwise. */
  readonly insecure: boolean
  /** TLS settings for a real endpoint (ignored with `insecure`): see `GrpcTls`. */
  readonly tls?: GrpcTls | undefined
  readonly encoding: ContentEncoding
  readonly connectTimeoutMs?: number
  /**
   * HTTP/2 keepalive ping interval. The default (5 min, no pings without calls) is what a default gRPC server
   * accepts; shorter intervals need the server's permission or it answers GOAWAY too_many_pings.
   */
  readonly keepaliveTimeMs?: number
  readonly keepaliveTimeoutMs?: number
  readonly protocol?: string
  readonly origin?: string
  readonly originVersion?: string
}

/** TLS for the channel: a CA bundle instead of the system roots, a client certificate, a server name override. */
export interface GrpcTls {
  /** PEM CA certificates the server's certificate must chain to (default: the system roots). */
  readonly ca?: Buffer | undefined
  /** PEM client certificate chain and its private key, for servers that require one (both or neither). */
  readonly cert?: Buffer | undefined
  readonly key?: Redacted.Redacted<Buffer> | undefined
  /** The name the server's certificate must carry (and the `:authority`), when it differs from the host. */
  readonly serverName?: string | undefined
}

export const channelCredentials = (o: GrpcTransportOptions): grpc.ChannelCredentials =>
  o.insecure
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(o.tls?.ca ?? null, o.tls?.key === undefined ? null : Redacted.value(o.tls.key), o.tls?.cert ?? null)

export const channelOptions = (o: GrpcTransportOptions): grpc.ChannelOptions => ({
  ...(o.insecure || o.tls?.serverName === undefined
    ? {}
    : { "grpc.ssl_target_name_override": o.tls.serverName, "grpc.default_authority": o.tls.serverName }),
  "grpc.keepalive_time_ms": o.keepaliveTimeMs ?? 300_000,
  "grpc.keepalive_timeout_ms": o.keepaliveTimeoutMs ?? 20_000,
  "grpc.keepalive_permit_without_calls": 0,
  "grpc.primary_user_agent": "dd-agent-effect/0.1.0",
  "grpc.max_send_message_length": -1
})

export const requestMetadata = (o: GrpcTransportOptions): grpc.Metadata => {
  const md = new grpc.Metadata()
  md.set(MetadataKeys.apiKey, Redacted.value(o.apiKey))
  md.set(MetadataKeys.contentEncoding, o.encoding)
  md.set(MetadataKeys.protocol, o.protocol ?? "stateful-logs-v1")
  md.set(MetadataKeys.evpOrigin, o.origin ?? "dd-agent-effect")
  md.set(MetadataKeys.evpOriginVersion, o.originVersion ?? "0.1.0")
  return md
}

const toFailure = (e: unknown): StreamFailure => {
  const err = e as Partial<grpc.ServiceError>
  return new StreamFailure({ code: typeof err.code === "number" ? err.code : GrpcCode.UNAVAILABLE, details: err.details ?? err.message ?? String(e) })
}

export const makeGrpcStreamTransport = (o: GrpcTransportOptions) =>
  Effect.gen(function*() {
    const target = `${o.host.includes(":") ? `[${o.host}]` : o.host}:${o.port}`
    const credentials = channelCredentials(o)
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => new StatefulLogsClient(target, credentials, channelOptions(o))),
      (c) => Effect.sync(() => c.close())
    )
    const connectTimeoutMs = o.connectTimeoutMs ?? 10_000

    const open: StreamTransport["Type"]["open"] = (handlers) =>
      Effect.gen(function*() {
        // Wait outside acquire, so shutdown can interrupt it. grpc-js takes the deadline as a wall-clock time.
        const deadline = (yield* Clock.currentTimeMillis) + connectTimeoutMs
        yield* Effect.async<void, StreamFailure>((resume) => {
          client.waitForReady(deadline, (err) =>
            resume(err ? Effect.fail(new StreamFailure({ code: GrpcCode.UNAVAILABLE, details: `connect to ${target}: ${err.message}` })) : Effect.void))
        })
        const ended = yield* Deferred.make<StreamEnd>()
        let finished = false
        const call = yield* Effect.acquireRelease(
          Effect.try({
            try: () => {
              const call = client.LogsStream(requestMetadata(o))
              call.on("error", () => {})
              call.on("status", (s: grpc.StatusObject) => {
                finished = true
                Deferred.unsafeDone(ended, Exit.succeed({ code: s.code, details: s.details }))
              })
              call.on("data", (m: { batchId: number; status: number }) => handlers.onAck(m.batchId, m.status))
              return call
            },
            catch: toFailure
          }),
          (call) => Effect.sync(() => {
            if (finished) return
            finished = true
            call.cancel()
            Deferred.unsafeDone(ended, Exit.succeed({ code: GrpcCode.CANCELLED, details: "cancelled by the sender" }))
          })
        )
        return {
          send: (batchId, data) => {
            call.write({ batchId, data })
          },
          halfClose: () => {
            call.end()
          },
          ended: Deferred.await(ended)
        } satisfies StreamSession
      })
    return StreamTransport.of({ open })
  })

export const layerGrpcStreamTransport = (o: GrpcTransportOptions) => Layer.scoped(StreamTransport, makeGrpcStreamTransport(o))
