/**
 * Activation policy: a pure reducer deciding, for every event seen while the loader holds the
 * receiver sockets, whether to keep waiting, drop a probe connection, start the agent or exit.
 * No clock and no I/O: the driver feeds events (with timestamps) and performs the decisions.
 * Imports nothing: the loader's idle phase runs it before (and without) loading Effect.
 */

type Fields<A> = keyof Omit<A, "_tag"> extends never ? void : Omit<A, "_tag">
/** One constructor per variant of a `_tag` union (what Data.taggedEnum gives, as plain objects). */
type Constructors<T extends { readonly _tag: string }> = {
  readonly [K in T["_tag"]]: (fields: Fields<Extract<T, { readonly _tag: K }>>) => Extract<T, { readonly _tag: K }>
}
const constructors = <T extends { readonly _tag: string }>(): Constructors<T> =>
  new Proxy({}, { get: (_, tag) => (fields?: object) => ({ _tag: tag, ...fields }) }) as Constructors<T>

/** Which listener a connection arrived on. */
export type ListenerKind = "tcp" | "unix" | "otlp"

/** How a held connection looks to a classifier. */
export type Classification =
  /** The peer closed (FIN) or reset (RST) without sending a byte: a probe. */
  | { readonly _tag: "Closed" }
  /** The peer sent bytes (still unread by the loader, or recorded as a prefix). */
  | { readonly _tag: "Data"; readonly bytes: number }
  /** Open and silent: keep holding. */
  | { readonly _tag: "Idle" }
  /** The classifier could not tell. */
  | { readonly _tag: "Unknown"; readonly detail: string }
export const Classification = constructors<Classification>()

export type PolicyEvent =
  | { readonly _tag: "Accepted"; readonly id: number; readonly listener: ListenerKind }
  | { readonly _tag: "Classified"; readonly id: number; readonly result: Classification }
  | { readonly _tag: "HoldTimeout"; readonly id: number }
  | { readonly _tag: "Failed"; readonly detail: string }
  | { readonly _tag: "Signal"; readonly signal: string }
export const PolicyEvent = constructors<PolicyEvent>()

/** Why the agent is being started; passed to it as DD_LOADER_ACTIVATION_REASON. */
export type ActivationReason =
  | "connection" // probe handling off: every connection activates
  | "data" // a held TCP client sent data
  | "unix-connection"
  | "otlp-connection"
  | "hold-cap" // too many held connections
  | "hold-timeout" // a silent connection was held too long
  | "second-client" // compatibility mode: a second TCP client while one is held
  | "unknown-classification"
  | "error"

export type Decision =
  /** Keep the connection and start classifying it (and its hold timer). */
  | { readonly _tag: "Hold"; readonly id: number }
  /** Close the connection: it was a probe. */
  | { readonly _tag: "Drop"; readonly id: number }
  | {
    readonly _tag: "Activate"
    readonly reason: ActivationReason
    readonly trigger: number | undefined
    readonly detail: string
  }
  | { readonly _tag: "Exit"; readonly code: number; readonly detail: string }
export const Decision = constructors<Decision>()

export interface PolicyConfig {
  /** Absorb TCP connections that close without data (apm_config.socket_activation.handle_tcp_probe). */
  readonly handleTcpProbe: boolean
  /** Held TCP connections beyond this many activate the agent. */
  readonly maxHeld: number
  /** Datadog's rule: a second TCP client while one is held activates (off by default, see README). */
  readonly secondClientActivates: boolean
}

export interface PolicyState {
  readonly phase: "waiting" | "activated" | "exited"
  /** Held TCP connections still being classified, in arrival order. */
  readonly held: ReadonlyArray<number>
  /** Probe connections dropped so far. */
  readonly absorbed: number
}

export const initialState: PolicyState = { phase: "waiting", held: [], absorbed: 0 }

export type Step = readonly [PolicyState, ReadonlyArray<Decision>]

const activate = (s: PolicyState, reason: ActivationReason, trigger: number | undefined, detail: string): Step => [
  { ...s, phase: "activated" },
  [Decision.Activate({ reason, trigger, detail })]
]

const stay = (s: PolicyState): Step => [s, []]

/** One transition. Events after a final decision (activate or exit) change nothing. */
export const step = (config: PolicyConfig, s: PolicyState, e: PolicyEvent): Step => {
  if (s.phase !== "waiting") return stay(s)
  switch (e._tag) {
    case "Signal":
      // SIGHUP asks for a reload: nothing is running yet, so there is nothing to reload.
      if (e.signal === "SIGHUP") return stay(s)
      return [{ ...s, phase: "exited" }, [Decision.Exit({ code: 0, detail: `received ${e.signal} before activation` })]]
    case "Failed":
      return activate(s, "error", undefined, e.detail)
    case "Accepted": {
      if (!config.handleTcpProbe) return activate(s, "connection", e.id, `connection on the ${e.listener} listener`)
      if (e.listener === "unix") return activate(s, "unix-connection", e.id, "connection on the unix listener")
      if (e.listener === "otlp") return activate(s, "otlp-connection", e.id, "connection on the OTLP listener")
      if (config.secondClientActivates && s.held.length > 0) {
        return activate(s, "second-client", e.id, "a TCP client is held and another one connected")
      }
      if (s.held.length + 1 > config.maxHeld) {
        return activate(s, "hold-cap", e.id, `more than ${config.maxHeld} TCP connections held`)
      }
      return [{ ...s, held: [...s.held, e.id] }, [Decision.Hold({ id: e.id })]]
    }
    case "Classified": {
      if (!s.held.includes(e.id)) return stay(s)
      switch (e.result._tag) {
        case "Idle":
          return stay(s)
        case "Closed":
          return [
            { ...s, held: s.held.filter((id) => id !== e.id), absorbed: s.absorbed + 1 },
            [Decision.Drop({ id: e.id })]
          ]
        case "Data":
          return activate(s, "data", e.id, `TCP client sent ${e.result.bytes} byte(s)`)
        case "Unknown":
          return activate(s, "unknown-classification", e.id, e.result.detail)
      }
    }
    case "HoldTimeout":
      if (!s.held.includes(e.id)) return stay(s)
      return activate(s, "hold-timeout", e.id, "a TCP client stayed silent for the whole hold timeout")
  }
}
