/**
 * The snapshot encoder service: looks up the process identity, takes a snapshot id and runs the pure
 * encoder. Depends only on ports (ProcessInfo, SnapshotIds), so it is the same in tests and production.
 */
import { Context, Effect, Either, Layer, Option } from "effect"
import type { CaptureEvent } from "./CaptureEvent.js"
import type { EncodedSnapshot } from "./Envelope.js"
import { encodeSnapshot } from "./Envelope.js"
import type { SnapshotEncodeError } from "./errors.js"
import { UnknownProcess } from "./errors.js"
import type { EncoderOptions } from "./Limits.js"
import { defaultEncoderOptions } from "./Limits.js"
import type { ProcessIdentity } from "./ProcessInfo.js"
import { ProcessInfo } from "./ProcessInfo.js"
import { SnapshotIds } from "./SnapshotIds.js"

export interface EncodedEvent extends EncodedSnapshot {
  readonly identity: ProcessIdentity
}

export class SnapshotEncoder extends Context.Tag("dd-agent-effect/debugger/SnapshotEncoder")<SnapshotEncoder, {
  readonly encode: (event: CaptureEvent) => Effect.Effect<EncodedEvent, SnapshotEncodeError>
}>() {}

export const makeSnapshotEncoder = (options: EncoderOptions = defaultEncoderOptions) =>
  Effect.gen(function*() {
    const ids = yield* SnapshotIds
    const processes = yield* ProcessInfo
    const encode = (event: CaptureEvent): Effect.Effect<EncodedEvent, SnapshotEncodeError> =>
      Effect.gen(function*() {
        const found = yield* processes.lookup(event.pid)
        if (Option.isNone(found)) return yield* new UnknownProcess({ pid: event.pid })
        const id = yield* ids.next
        const encoded = encodeSnapshot(event, found.value, id, options)
        if (Either.isLeft(encoded)) return yield* encoded.left
        return { ...encoded.right, identity: found.value }
      })
    return SnapshotEncoder.of({ encode })
  })

/** The encoder over whatever ProcessInfo and SnapshotIds layers are provided. */
export const layer = (options: EncoderOptions = defaultEncoderOptions) =>
  Layer.effect(SnapshotEncoder, makeSnapshotEncoder(options))
