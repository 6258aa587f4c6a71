/**
 * A thin typed Chrome DevTools Protocol client over Node's WebSocket, as a scoped resource. Events are
 * handed synchronously to one callback (the session keeps its own bounded queue for what matters), so
 * the `scriptParsed` flood V8 sends for every evaluated condition costs one JSON parse each and nothing
 * is buffered unboundedly here.
 *
 * Latency note: the Node inspector writes an event and a response as two small TCP segments; with Nagle
 * on its side and delayed ACKs on ours, the response then waits ~40 ms. Sending any frame on receipt of
 * an event while a command is pending makes the kernel acknowledge at once, so the client sends one
 * cheap unknown-method request ("nudge") per such event (measured: callFunctionOn 44 ms → ~1 ms).
 */
import type { ProtocolMapping } from "devtools-protocol/types/protocol-mapping.js"
import { Deferred, Duration, Effect, Exit } from "effect"
import { CdpError } from "../../../services/debugger/live/errors.js"

export type Commands = ProtocolMapping.Commands
export type Events = ProtocolMapping.Events

export interface CdpClient {
  readonly send: <M extends keyof Commands>(
    method: M,
    ...params: Commands[M]["paramsType"]
  ) => Effect.Effect<Commands[M]["returnType"], CdpError>
  /** A command of a Node-only domain (`NodeRuntime`, `NodeWorker`), untyped in devtools-protocol. */
  readonly sendNode: (method: string, params?: object) => Effect.Effect<unknown, CdpError>
  /** Closes the connection now (the scope would close it later). */
  readonly close: () => void
  /** Completes when the connection closes (the target exited, or the client closed it). */
  readonly closed: Effect.Effect<void>
  readonly isOpen: () => boolean
}

export type EventHandler = (method: string, params: unknown) => void

interface Pending {
  readonly method: string
  readonly resume: (exit: Exit.Exit<unknown, CdpError>) => void
}

const nudgeId = -1

/** Connects to `url` (a ws:// URL already checked to be loopback); closing the scope closes the socket. */
export const connect = (url: string, onEvent: EventHandler, openTimeout: Duration.DurationInput = "5 seconds") =>
  Effect.gen(function*() {
    const closed = yield* Deferred.make<void>()
    const pending = new Map<number, Pending>()
    let nextId = 1
    let nudging = false
    const ws = yield* Effect.acquireRelease(
      Effect.async<WebSocket, CdpError>((resume) => {
        const socket = new WebSocket(url)
        const fail = () => resume(Effect.fail(new CdpError({ method: "connect", detail: `cannot open ${url}` })))
        socket.addEventListener("open", () => {
          socket.removeEventListener("error", fail)
          resume(Effect.succeed(socket))
        }, { once: true })
        socket.addEventListener("error", fail, { once: true })
        return Effect.sync(() => socket.close())
      }).pipe(
        Effect.timeoutFail({
          duration: openTimeout,
          onTimeout: () => new CdpError({ method: "connect", detail: `no answer from ${url}` })
        })
      ),
      (socket) => Effect.sync(() => socket.close())
    )
    const failAll = (detail: string) => {
      for (const [, p] of pending) p.resume(Exit.fail(new CdpError({ method: p.method, detail })))
      pending.clear()
    }
    ws.addEventListener("close", () => {
      failAll("connection closed")
      Deferred.unsafeDone(closed, Exit.void)
    })
    ws.addEventListener("error", () => {})
    ws.addEventListener("message", (e: MessageEvent) => {
      let msg: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message?: string } }
      try {
        msg = JSON.parse(String(e.data)) as typeof msg
      } catch {
        return
      }
      if (msg.id === nudgeId) {
        nudging = false
        return
      }
      if (msg.id !== undefined) {
        const p = pending.get(msg.id)
        if (p === undefined) return
        pending.delete(msg.id)
        p.resume(
          msg.error !== undefined
            ? Exit.fail(new CdpError({ method: p.method, detail: msg.error.message ?? "error" }))
            : Exit.succeed(msg.result ?? {})
        )
        return
      }
      if (pending.size > 0 && !nudging && ws.readyState === WebSocket.OPEN) {
        nudging = true
        ws.send(`{"id":${nudgeId},"method":"DDAgent.nudge"}`)
      }
      if (msg.method !== undefined) onEvent(msg.method, msg.params)
    })
    const sendNode = (method: string, params?: object) =>
      Effect.async<unknown, CdpError>((resume) => {
        if (ws.readyState !== WebSocket.OPEN) {
          resume(Effect.fail(new CdpError({ method, detail: "connection closed" })))
          return
        }
        const id = nextId++
        pending.set(id, { method, resume: (exit) => resume(exit) })
        ws.send(JSON.stringify({ id, method, params: params ?? {} }))
        return Effect.sync(() => {
          pending.delete(id)
        })
      })
    const send = <M extends keyof Commands>(method: M, ...params: Commands[M]["paramsType"]) =>
      sendNode(method, params[0]) as Effect.Effect<Commands[M]["returnType"], CdpError>
    return {
      send,
      sendNode,
      close: () => ws.close(),
      closed: Deferred.await(closed),
      isOpen: () => ws.readyState === WebSocket.OPEN
    } satisfies CdpClient
  })
