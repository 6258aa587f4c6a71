/**
 * The messages of a gRPC call read one at a time, only when asked for: what is not asked for stays in grpc-js's
 * buffer, so HTTP/2 flow control holds the client back. A plain `Effect.async` per message: the intake reads one
 * message per batch, and an Effect `Stream` over the call cost about 400 runtime operations and three fibers per
 * message, more than a third of the intake's Effect work per batch.
 */
import { Effect, Exit, type Scope } from "effect"
import type { Readable } from "node:stream"

export interface CallReader<A, E> {
  /** The next message; `undefined` once the client has half-closed and every message was read. */
  readonly next: Effect.Effect<A | undefined, E>
}

/**
 * Reads `call` (an object-mode readable) until the scope closes, which removes its listeners; it never closes the
 * call, which its server owns. After an error the messages already buffered are read first, then `onError`'s.
 */
export const makeCallReader = <A, E>(
  call: Readable,
  onError: (cause: unknown) => E
): Effect.Effect<CallReader<A, E>, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => {
        let done: Exit.Exit<undefined, E> | undefined = call.readable ? undefined : Exit.succeed(undefined)
        let wake: (() => void) | undefined
        const onReadable = () => wake?.()
        const onFailure = (cause: unknown) => {
          done ??= Exit.fail(onError(cause))
          wake?.()
        }
        const onEnd = () => {
          done ??= Exit.succeed(undefined)
          wake?.()
        }
        call.on("readable", onReadable)
        call.on("error", onFailure)
        call.on("end", onEnd)
        const next = Effect.async<A | undefined, E>((resume) => {
          const attempt = (): boolean => {
            const message = call.read() as A | null
            if (message !== null) resume(Effect.succeed(message))
            else if (done !== undefined) resume(done)
            else return false
            wake = undefined
            return true
          }
          if (attempt()) return
          wake = attempt
          return Effect.sync(() => {
            wake = undefined
          })
        })
        const remove = () => {
          call.off("readable", onReadable)
          call.off("error", onFailure)
          call.off("end", onEnd)
        }
        return { next, remove }
      }),
      ({ remove }) => Effect.sync(remove)
    ),
    ({ next }) => ({ next })
  )
