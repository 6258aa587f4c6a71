/**
 * The held receiver sockets for a loader embedded in an Effect program: the idle phase's holder
 * (idle/IdleListeners.ts) in the caller's scope, so one implementation binds and holds them.
 */
import { Effect, LogLevel, type Scope } from "effect"
import { ListenerError } from "../../services/loader/errors.js"
import { callbackLog } from "./CallbackLog.js"
import type { ListenConfig } from "./idle/IdleListeners.js"
import { BindFailure, type Holder, holdListeners } from "./idle/IdleListeners.js"

const listenerError = (e: unknown): ListenerError =>
  e instanceof BindFailure
    ? new ListenerError({ listener: e.listener, reason: e.reason, address: e.address, message: e.message })
    : new ListenerError({ listener: "tcp", reason: "Bind", address: "", message: e instanceof Error ? e.message : String(e) })

/**
 * Binds the configured listeners (their lines logged at info and error) and holds them until the scope
 * closes, which closes every held connection, then the listeners (waiting for that is bounded).
 */
export const openListeners = (config: ListenConfig): Effect.Effect<Holder, ListenerError, Scope.Scope> =>
  Effect.acquireRelease(
    // The binding's lines are all logged when it settles (callbackLog's scope), before the holder is returned.
    Effect.scoped(
      Effect.flatMap(callbackLog, (log) =>
        Effect.tryPromise({
          try: () => holdListeners(config, { info: log(LogLevel.Info), error: log(LogLevel.Error) }),
          catch: listenerError
        }))
    ),
    (holder) =>
      Effect.promise(() => holder.close()).pipe(Effect.interruptible, Effect.timeoutOption("2 seconds"), Effect.asVoid)
  )
