/**
 * Live adapters of the logs stream: the grpc-js service definition, the sender's transport and layers (and the
 * in-memory fake transport), and the reference intake (scoped server, file/stdout/memory outputs).
 */
export * from "./grpcDefinition.js"
export * from "./IntakeOutputLive.js"
export * from "./IntakeServer.js"
export * from "./senderLayers.js"
