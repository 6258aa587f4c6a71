/**
 * Live layers of the logs concern: the sender over grpc-js (and an in-memory transport for tests), and the
 * reference intake server with its outputs (stdout, a file, memory).
 */
/** The sender: `layerSender(config)` over a provided transport, `layerSenderGrpc` with the grpc-js one, `layerConfig` from `Config`. */
export { layerConfig, layerSender, layerSenderGrpc } from "./SenderLive.js"
/** The grpc-js stream transport and its options. */
export { type GrpcTls, type GrpcTransportOptions, layerGrpcStreamTransport, makeGrpcStreamTransport } from "./GrpcStreamTransport.js"
/** An in-memory transport that acknowledges what it receives (tests, examples). */
export { type FakeTransport, type FakeTransportOptions, makeFakeTransport } from "./FakeStreamTransport.js"
/** The reference intake server. */
export { IntakeBindError, IntakeServer, layerIntakeServer, makeIntakeServer } from "./IntakeServer.js"
/** Intake outputs: JSON lines on stdout or appended to a file, or kept in memory. */
export { layerFile, layerStdout, MemoryIntakeOutput } from "./IntakeOutputLive.js"
/** Intake output to a file rotated by size. */
export { layerRotatingFile } from "./IntakeOutputRotating.js"
