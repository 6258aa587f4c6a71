/**
 * The idle phase's driver of the activation policy, in plain Node (no Effect): held connections, classifier
 * verdicts, hold timeouts, listener failures and signals are fed to the pure reducer (Policy.ts), whose
 * decisions it performs. Activation.ts runs this same driver as an Effect, for loaders embedded in one.
 */
import { type ActivationReason, initialState, type PolicyConfig, PolicyEvent, step } from "../../../services/loader/Policy.js"
import type { IdleClassifier } from "./IdleClassifier.js"
import type { Holder } from "./IdleListeners.js"

export type ActivationResult =
  | {
    readonly _tag: "Activate"
    readonly reason: ActivationReason
    readonly detail: string
    /** The connection that triggered activation, handed over first. */
    readonly trigger: number | undefined
    readonly absorbed: number
    readonly waitedMs: number
  }
  | { readonly _tag: "Exit"; readonly code: number; readonly detail: string }

export interface IdleWaitOptions {
  readonly holder: Pick<Holder, "subscribe" | "drop" | "held">
  readonly classifier: IdleClassifier
  readonly policy: PolicyConfig
  readonly holdTimeoutMs: number
  readonly debug: (line: string) => void
  readonly now?: () => number
}

export interface IdleWait {
  /** Settles once: activation (with the trigger) or exit (a signal). */
  readonly result: Promise<ActivationResult>
  /** A signal the loader received: SIGTERM and SIGINT end the wait, SIGHUP is ignored. */
  readonly signal: (name: string) => void
  /** Gives up the wait (its caller was interrupted): every watch and hold timer and the classifier stop; `result` never settles. */
  readonly stop: () => void
}

/** Datadog's line for each activation reason. */
export const activationLine = (r: Extract<ActivationResult, { _tag: "Activate" }>): string => {
  switch (r.reason) {
    case "data":
      return "TCP client sent data, executing trace-agent..."
    case "connection":
    case "unix-connection":
    case "otlp-connection":
      return "There is no tcp client connected and the event is not associated with the TCP listener, executing trace-agent..."
    case "second-client":
      return "There is a tcp client connected and the event is not associated with it, executing trace-agent..."
    default:
      return `${r.detail}, executing trace-agent...`
  }
}

export const waitIdle = (options: IdleWaitOptions): IdleWait => {
  const { classifier, holder, policy } = options
  const now = options.now ?? Date.now
  const startedAt = now()
  const fds = new Map<number, number>()
  /** Stops the classifier watch and the hold timer of each held connection. */
  const watching = new Map<number, () => void>()
  let state = initialState
  let settle: (r: ActivationResult) => void = () => {}
  const result = new Promise<ActivationResult>((resolve) => (settle = resolve))

  const stopWatching = (id: number) => {
    watching.get(id)?.()
    watching.delete(id)
  }
  let stopped = false
  const stop = () => {
    stopped = true
    for (const id of [...watching.keys()]) stopWatching(id)
    classifier.close()
  }
  const end = (r: ActivationResult) => {
    stop()
    settle(r)
  }

  const feed = (event: PolicyEvent) => {
    if (stopped || state.phase !== "waiting") return
    if (event._tag === "Accepted") options.debug(`Accepted connection on ${event.listener} listener: ${fds.get(event.id) ?? "?"}`)
    const [next, decisions] = step(policy, state, event)
    state = next
    for (const d of decisions) {
      switch (d._tag) {
        case "Hold": {
          const conn = holder.held().find((c) => c.id === d.id)
          if (conn === undefined) {
            feed(PolicyEvent.Failed({ detail: `connection ${d.id} is no longer held` }))
            break
          }
          const unwatch = classifier.watch(conn, (v) =>
            feed(v._tag === "Failed" ? PolicyEvent.Failed({ detail: `classifier: ${v.detail}` }) : PolicyEvent.Classified({ id: d.id, result: v }))
          )
          const timer = setTimeout(() => feed(PolicyEvent.HoldTimeout({ id: d.id })), options.holdTimeoutMs)
          watching.set(d.id, () => {
            unwatch()
            clearTimeout(timer)
          })
          break
        }
        case "Drop":
          stopWatching(d.id)
          holder.drop(d.id)
          options.debug(`TCP client closed connection, closing file descriptor ${fds.get(d.id) ?? "?"}`)
          fds.delete(d.id)
          break
        case "Activate":
          end({ _tag: "Activate", reason: d.reason, detail: d.detail, trigger: d.trigger, absorbed: state.absorbed, waitedMs: now() - startedAt })
          break
        case "Exit":
          end({ _tag: "Exit", code: d.code, detail: d.detail })
          break
      }
    }
  }

  holder.subscribe((e) => {
    if (e._tag === "ListenerFailed") return feed(PolicyEvent.Failed({ detail: e.detail }))
    fds.set(e.conn.id, e.conn.fd)
    feed(PolicyEvent.Accepted({ id: e.conn.id, listener: e.conn.listener }))
  })
  return { result, signal: (name) => feed(PolicyEvent.Signal({ signal: name })), stop }
}
