/**
 * The port through which a stream worker talks to the intake: open one bidirectional stream per call.
 * The live adapter wraps a grpc-js channel (src/layers/logs/GrpcStreamTransport.ts); tests use the in-memory
 * fake beside it. Closing the scope given to `open` ends the call (cancelled unless it already finished):
 * the scope is the only owner of the call, so it is closed exactly once.
 */
import { Context, type Effect, type Scope } from "effect"
import type { StreamFailure } from "./errors.js"

/** How a stream ended: the gRPC status the call finished with. */
export interface StreamEnd {
  readonly code: number
  readonly details: string
}

export interface StreamSession {
  /** Queues one batch on the call (non-blocking; the inflight bounds limit what can be queued). */
  readonly send: (batchId: number, data: Uint8Array) => void
  /** Half-closes the request side: the server finishes the stream with its status. */
  readonly halfClose: () => void
  /** Completes when the call finishes, with its status. Never fails. */
  readonly ended: Effect.Effect<StreamEnd>
}

export interface StreamHandlers {
  /** Called for every BatchStatus the server sends, in order. */
  readonly onAck: (batchId: number, status: number) => void
}

export class StreamTransport extends Context.Tag("dd-agent-effect/LogsStreamTransport")<StreamTransport, {
  /** Opens a stream (waiting for the channel to be ready, bounded by the connect timeout). */
  readonly open: (handlers: StreamHandlers) => Effect.Effect<StreamSession, StreamFailure, Scope.Scope>
}>() {}
