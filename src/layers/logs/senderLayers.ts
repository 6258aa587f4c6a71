/** Public layers of the logs sender: the grpc-js transport, the sender layers, and the in-memory fake. */
export * from "./FakeStreamTransport.js"
export * from "./GrpcStreamTransport.js"
export * from "./SenderLive.js"
