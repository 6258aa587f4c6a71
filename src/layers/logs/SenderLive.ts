/**
 * Layers of the logs sender, in the shape of @effect/sql-pg's PgClient: `layerSender(config)` from decoded
 * settings and `layerConfig(Config…)` from Effect `Config` values (decoded and checked by
 * `SenderConfigSchema`), both over any StreamTransport; `layerSenderGrpc` wires one grpc-js channel for an
 * endpoint. Leaving the scope shuts the workers down gracefully (bounded).
 */
import { Config, Effect, Layer } from "effect"
import { LogsSender, makeSender } from "../../services/logs/Sender.js"
import { decodeSenderConfig, type SenderConfig, type SenderConfigInput } from "../../services/logs/SenderConfig.js"
import { type GrpcTransportOptions, layerGrpcStreamTransport } from "./GrpcStreamTransport.js"

export const layerSender = (config: SenderConfig) => Layer.scoped(LogsSender, makeSender(config))

/** The sender from `Config` values, e.g. `layerConfig({ workers: Config.integer("LOGS_WORKERS") })`. */
export const layerConfig = (config: Config.Config.Wrap<SenderConfigInput>) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const input = yield* Config.unwrap(config)
    return layerSender(yield* decodeSenderConfig(input))
  }))

export const layerSenderGrpc = (config: SenderConfig, transport: Omit<GrpcTransportOptions, "encoding">) =>
  layerSender(config).pipe(Layer.provide(layerGrpcStreamTransport({ ...transport, encoding: config.encoding })))
