/**
 * Layers of the logs sender: `layerSender` over any StreamTransport, and `layerSenderGrpc` wired to one
 * grpc-js channel for an endpoint. Leaving the scope shuts the workers down gracefully (bounded).
 */
import { Layer } from "effect"
import { LogsSender, makeSender } from "../../services/logs/Sender.js"
import type { SenderConfig } from "../../services/logs/SenderConfig.js"
import { type GrpcTransportOptions, layerGrpcStreamTransport } from "./GrpcStreamTransport.js"

export const layerSender = (config: SenderConfig) => Layer.scoped(LogsSender, makeSender(config))

export const layerSenderGrpc = (config: SenderConfig, transport: Omit<GrpcTransportOptions, "encoding">) =>
  layerSender(config).pipe(Layer.provide(layerGrpcStreamTransport({ ...transport, encoding: config.encoding })))
