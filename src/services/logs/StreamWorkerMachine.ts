/**
 * The stream worker as a pure reducer: `step(state, event) → [state, commands]`. One driver fiber feeds it
 * events and performs the commands; the reducer holds no payloads, only the counts it needs to decide
 * (unsent, sent-and-unacked), so it can be tested exhaustively without I/O or clocks.
 *
 * Phases: idle → connecting → active → draining → connecting | disconnected (backoff), plus failed (fatal
 * or too many protocol errors) and stopped. Every stream has an identity (`streamId`) and every timer a token:
 * a signal from an old stream or a cancelled timer does not match and is ignored by construction.
 * Randomness (backoff and lifetime jitter) comes from a PRNG carried in the state, seeded by the driver.
 *
 * Input and stop are decided here too. Offered chunks are held (the driver keeps them, the state counts them)
 * and accepted one at a time while the inflight tracker has room — the driver reports room, which becomes
 * unknown after every accept, so a stale "free" never lets a second chunk in. Shutdown closes the intake
 * (later offers are refused), accepts what is held as room allows, then seals the input; it is done once every
 * payload is acknowledged or no acknowledgement came for `shutdownTimeoutMs`.
 */
import type { FailureClass } from "./errors.js"

export type Phase = "idle" | "connecting" | "active" | "draining" | "disconnected" | "failed" | "stopped"

export type TimerKind = "lifetime" | "drain" | "backoff" | "ackWatchdog" | "shutdown"

/** Whether the inflight tracker can take another chunk: as last reported by the driver, or not known yet. */
export type Room = "free" | "full" | "unknown"

/** `open`: offers are taken; `closing`: stop requested, held chunks still go in; `sealed`: the input has ended. */
export type Intake = "open" | "closing" | "sealed"

export interface MachineConfig {
  readonly streamLifetimeMs: number
  /** Lifetime jitter as a fraction: 0.1 = ±10 %. */
  readonly lifetimeJitter: number
  readonly drainTimeoutMs: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  /** Fail a stream that holds unacknowledged batches when no ack arrives for this long. */
  readonly ackTimeoutMs: number
  /** Protocol-class errors tolerated (each followed by a `backoffMaxMs` wait) before the worker stops. */
  readonly maxProtocolErrors: number
  readonly shutdownTimeoutMs: number
  /**
   * Batches written to a stream and not yet acknowledged, at most. The inflight tracker may hold many more
   * (its limits are for buffering); the window keeps gRPC's own buffers — which copy every message — small
   * when the intake is slower than the sender, and still covers a long round trip.
   */
  readonly sendWindow: number
}

export const defaultMachineConfig: MachineConfig = {
  streamLifetimeMs: 15 * 60_000,
  lifetimeJitter: 0.1,
  drainTimeoutMs: 5_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 120_000,
  ackTimeoutMs: 30_000,
  maxProtocolErrors: 3,
  shutdownTimeoutMs: 10_000,
  sendWindow: 64
}

export interface StreamProblem {
  readonly failureClass: FailureClass
  readonly code: number
  readonly message: string
}

export interface MachineState {
  readonly phase: Phase
  /** Current stream (0 when there is none). */
  readonly streamId: number
  readonly lastStreamId: number
  /** Consecutive failures, the backoff exponent. */
  readonly errors: number
  readonly protocolErrors: number
  readonly unsent: number
  /** Sent on the current stream and not yet acknowledged. */
  readonly unacked: number
  readonly nextBatchId: number
  /** The ack the current stream owes next (0 = the snapshot). */
  readonly expectedAck: number
  readonly stopping: boolean
  readonly intake: Intake
  /** Offered chunks the driver holds until the tracker has room. */
  readonly held: number
  readonly room: Room
  /** No more payloads will be queued (set once shutdown has flushed the input). */
  readonly inputClosed: boolean
  readonly timers: Readonly<Partial<Record<TimerKind, number>>>
  readonly nextToken: number
  readonly rng: number
  /** Why the worker gave up (fatal or protocol limit). */
  readonly problem: StreamProblem | undefined
  /** How the worker ended, once `stopped`. */
  readonly done: DoneReason | undefined
}

/**
 * `drained`: every payload acknowledged; `deadline`: no acknowledgement for `shutdownTimeoutMs` during shutdown;
 * `aborted`: stopped at once on request (a signal); `failed`: fatal or too many protocol errors.
 */
export type DoneReason = "drained" | "deadline" | "aborted" | "failed"
export type RotationReason = "lifetime" | "drainTimeout" | "failure"

export type Event =
  | { readonly _tag: "Start" }
  | { readonly _tag: "Queued"; readonly count: number }
  | { readonly _tag: "StreamOpened"; readonly streamId: number }
  | { readonly _tag: "StreamFailed"; readonly streamId: number; readonly problem: StreamProblem }
  | { readonly _tag: "Ack"; readonly streamId: number; readonly batchId: number; readonly ok: boolean }
  | { readonly _tag: "Timer"; readonly timer: TimerKind; readonly token: number }
  | { readonly _tag: "Shutdown" }
  /** Stop now: no more waiting for acknowledgements (what is unacknowledged is reported as such). */
  | { readonly _tag: "Abort" }
  | { readonly _tag: "InputClosed" }
  /** A producer offered a chunk of logs. */
  | { readonly _tag: "Offered" }
  /** The inflight tracker's room, reported by the driver whenever it differs from `room`. */
  | { readonly _tag: "Room"; readonly free: boolean }

export type Command =
  | { readonly _tag: "Open"; readonly streamId: number }
  | { readonly _tag: "Close"; readonly streamId: number; readonly how: "halfClose" | "cancel" }
  | { readonly _tag: "SendSnapshot"; readonly streamId: number }
  | { readonly _tag: "Send"; readonly streamId: number; readonly batchId: number }
  /** The head payload was acknowledged. */
  | { readonly _tag: "Pop" }
  /** Unacknowledged payloads become unsent (they will be retransmitted). */
  | { readonly _tag: "Rewind"; readonly count: number }
  | { readonly _tag: "StartTimer"; readonly timer: TimerKind; readonly delayMs: number; readonly token: number }
  | { readonly _tag: "CancelTimer"; readonly timer: TimerKind }
  | { readonly _tag: "Rotated"; readonly reason: RotationReason }
  | { readonly _tag: "Problem"; readonly problem: StreamProblem; readonly terminal: boolean }
  | { readonly _tag: "Done"; readonly reason: DoneReason }
  /** Keep the chunk just offered, after those already held. */
  | { readonly _tag: "Hold" }
  /** Refuse the chunk just offered: its producer is told the worker is stopping. */
  | { readonly _tag: "Refuse" }
  /** Batch the oldest held chunk (the driver then reports what it queued, and the room left). */
  | { readonly _tag: "Accept" }
  /** The input has ended: seal the open batch (the driver then reports it queued, and `InputClosed`). */
  | { readonly _tag: "SealInput" }
  /** The tracker filled up (for the metric). */
  | { readonly _tag: "InputFull" }

export const initialState = (seed: number): MachineState => ({
  phase: "idle",
  streamId: 0,
  lastStreamId: 0,
  errors: 0,
  protocolErrors: 0,
  unsent: 0,
  unacked: 0,
  nextBatchId: 1,
  expectedAck: 0,
  stopping: false,
  intake: "open",
  held: 0,
  room: "free",
  inputClosed: false,
  timers: {},
  nextToken: 1,
  rng: seed >>> 0,
  problem: undefined,
  done: undefined
})

/** mulberry32: a tiny deterministic PRNG, so jitter is reproducible from the seed. */
export const nextRandom = (rng: number): readonly [number, number] => {
  const s = (rng + 0x6d2b79f5) >>> 0
  let t = s
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, s]
}

/** Backoff after `errors` consecutive failures: uniform in [t/2, t] with t = min(max, base·2^(errors−1)). */
export const backoffDelay = (config: MachineConfig, errors: number, u: number): number => {
  const t = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.max(0, errors - 1))
  return Math.round(t / 2 + (u * t) / 2)
}

/** Stream lifetime with ±jitter. */
export const lifetimeDelay = (config: MachineConfig, u: number): number =>
  Math.round(config.streamLifetimeMs * (1 - config.lifetimeJitter + 2 * config.lifetimeJitter * u))

/** Errors beyond this do not grow the backoff further. */
export const maxBackoffErrors = (config: MachineConfig): number =>
  Math.max(1, Math.ceil(Math.log2(config.backoffMaxMs / config.backoffBaseMs)) + 1)

type Out = Array<Command>

const startTimer = (s: MachineState, timer: TimerKind, delayMs: number, out: Out): MachineState => {
  const token = s.nextToken
  out.push({ _tag: "StartTimer", timer, delayMs, token })
  return { ...s, nextToken: token + 1, timers: { ...s.timers, [timer]: token } }
}

const cancelTimer = (s: MachineState, timer: TimerKind, out: Out): MachineState => {
  if (s.timers[timer] === undefined) return s
  out.push({ _tag: "CancelTimer", timer })
  const timers = { ...s.timers }
  delete timers[timer]
  return { ...s, timers }
}

const random = (s: MachineState): readonly [number, MachineState] => {
  const [u, rng] = nextRandom(s.rng)
  return [u, { ...s, rng }]
}

/** Acks owed on the current stream: data batches, or the snapshot not yet acknowledged. */
const owesAcks = (s: MachineState): boolean => s.unacked > 0 || s.expectedAck === 0

const open = (s: MachineState, out: Out): MachineState => {
  const streamId = s.lastStreamId + 1
  out.push({ _tag: "Open", streamId })
  return { ...s, phase: "connecting", streamId, lastStreamId: streamId }
}

/** Leaves the current stream: close it, stop its timers, make unacked payloads unsent. */
const leaveStream = (s: MachineState, how: "halfClose" | "cancel", out: Out): MachineState => {
  if (s.streamId !== 0) out.push({ _tag: "Close", streamId: s.streamId, how })
  let next = cancelTimer(s, "lifetime", out)
  next = cancelTimer(next, "drain", out)
  next = cancelTimer(next, "ackWatchdog", out)
  if (next.unacked > 0) out.push({ _tag: "Rewind", count: next.unacked })
  return { ...next, streamId: 0, unsent: next.unsent + next.unacked, unacked: 0 }
}

/** Sends unsent payloads while active, up to the send window, and keeps the ack watchdog armed while acks are owed. */
const pump = (config: MachineConfig, s: MachineState, out: Out): MachineState => {
  const n = Math.min(s.unsent, config.sendWindow - s.unacked)
  if (s.phase !== "active" || n <= 0) return s
  let batchId = s.nextBatchId
  for (let i = 0; i < n; i++) out.push({ _tag: "Send", streamId: s.streamId, batchId: batchId++ })
  const next: MachineState = { ...s, nextBatchId: batchId, unacked: s.unacked + n, unsent: s.unsent - n }
  return next.timers.ackWatchdog === undefined ? startTimer(next, "ackWatchdog", config.ackTimeoutMs, out) : next
}

const finish = (s: MachineState, reason: DoneReason, out: Out): MachineState => {
  let next = s
  for (const t of ["lifetime", "drain", "backoff", "ackWatchdog", "shutdown"] as const) next = cancelTimer(next, t, out)
  if (next.streamId !== 0) {
    out.push({ _tag: "Close", streamId: next.streamId, how: reason === "drained" ? "halfClose" : "cancel" })
  }
  out.push({ _tag: "Done", reason })
  return { ...next, phase: "stopped", streamId: 0, done: reason }
}

/** Accepts the oldest held chunk while the tracker is known to have room; room is unknown until reported again. */
const admit = (s: MachineState, out: Out): MachineState => {
  if (s.room !== "free" || s.held === 0) return s
  out.push({ _tag: "Accept" })
  return endInput({ ...s, held: s.held - 1, room: "unknown" }, out)
}

/** Once stop is requested and nothing is held, the input has ended: seal it. */
const endInput = (s: MachineState, out: Out): MachineState => {
  if (s.intake !== "closing" || s.held > 0) return s
  out.push({ _tag: "SealInput" })
  return { ...s, intake: "sealed" }
}

/** Shutdown completes once input is closed and every payload is acknowledged, or at once when failed. */
const checkDone = (s: MachineState, out: Out): MachineState => {
  if (s.phase === "stopped" || !s.stopping) return s
  if (s.phase === "failed") return finish(s, "failed", out)
  if (s.inputClosed && s.unsent === 0 && s.unacked === 0) return finish(s, "drained", out)
  return s
}

const fail = (config: MachineConfig, s: MachineState, problem: StreamProblem, out: Out): MachineState => {
  let next = leaveStream(s, "cancel", out)
  let terminal = problem.failureClass === "fatal"
  let delay = config.backoffMaxMs
  if (problem.failureClass === "protocol") {
    next = { ...next, protocolErrors: next.protocolErrors + 1 }
    terminal = next.protocolErrors > config.maxProtocolErrors
  } else if (problem.failureClass === "transient") {
    const errors = Math.min(next.errors + 1, maxBackoffErrors(config))
    const [u, withRng] = random({ ...next, errors })
    next = withRng
    delay = backoffDelay(config, errors, u)
  }
  out.push({ _tag: "Problem", problem, terminal })
  if (terminal) return checkDone({ ...next, phase: "failed", problem }, out)
  out.push({ _tag: "Rotated", reason: "failure" })
  return startTimer({ ...next, phase: "disconnected" }, "backoff", delay, out)
}

/** Applies one event. Pure: the same config, state and event always give the same result. */
export const step = (config: MachineConfig, s: MachineState, e: Event): readonly [MachineState, ReadonlyArray<Command>] => {
  const out: Out = []
  const next = reduce(config, s, e, out)
  return [next, out]
}

const reduce = (config: MachineConfig, s: MachineState, e: Event, out: Out): MachineState => {
  if (e._tag === "Offered") {
    if (s.intake !== "open" || s.phase === "stopped") {
      out.push({ _tag: "Refuse" })
      return s
    }
    out.push({ _tag: "Hold" })
    return admit({ ...s, held: s.held + 1 }, out)
  }
  if (s.phase === "stopped") return s
  switch (e._tag) {
    case "Room": {
      if (!e.free && s.room !== "full") out.push({ _tag: "InputFull" })
      return admit({ ...s, room: e.free ? "free" : "full" }, out)
    }
    case "Start":
      return s.phase === "idle" ? open(s, out) : s
    case "Queued":
      return pump(config, { ...s, unsent: s.unsent + e.count }, out)
    case "InputClosed":
      return checkDone({ ...s, inputClosed: true }, out)
    case "Shutdown": {
      if (s.stopping) return s
      const closing = endInput({ ...s, stopping: true, intake: s.intake === "open" ? "closing" : s.intake }, out)
      return checkDone(startTimer(closing, "shutdown", config.shutdownTimeoutMs, out), out)
    }
    case "Abort":
      return finish({ ...s, stopping: true, intake: "sealed" }, "aborted", out)
    case "StreamOpened": {
      if (s.phase !== "connecting" || e.streamId !== s.streamId) return s
      const [u, withRng] = random({ ...s, phase: "active", nextBatchId: 1, expectedAck: 0 })
      out.push({ _tag: "SendSnapshot", streamId: s.streamId })
      let next = startTimer(withRng, "lifetime", lifetimeDelay(config, u), out)
      next = startTimer(next, "ackWatchdog", config.ackTimeoutMs, out)
      return pump(config, next, out)
    }
    case "StreamFailed": {
      if (e.streamId !== s.streamId) return s
      if (s.phase !== "connecting" && s.phase !== "active" && s.phase !== "draining") return s
      return fail(config, s, e.problem, out)
    }
    case "Ack":
      return ack(config, s, e, out)
    case "Timer": {
      if (s.timers[e.timer] !== e.token) return s
      const timers = { ...s.timers }
      delete timers[e.timer]
      const t: MachineState = { ...s, timers }
      switch (e.timer) {
        case "lifetime": {
          if (t.phase !== "active") return t
          if (t.unacked === 0) {
            out.push({ _tag: "Rotated", reason: "lifetime" })
            return open(leaveStream(t, "halfClose", out), out)
          }
          return startTimer({ ...t, phase: "draining" }, "drain", config.drainTimeoutMs, out)
        }
        case "drain": {
          if (t.phase !== "draining") return t
          out.push({ _tag: "Rotated", reason: "drainTimeout" })
          return open(leaveStream(t, "cancel", out), out)
        }
        case "backoff":
          return t.phase === "disconnected" ? open(t, out) : t
        case "ackWatchdog": {
          if ((t.phase !== "active" && t.phase !== "draining") || !owesAcks(t)) return t
          return fail(config, t, {
            failureClass: "transient",
            code: 4,
            message: `no acknowledgement within ${config.ackTimeoutMs} ms while ${t.unacked} batches await one`
          }, out)
        }
        case "shutdown":
          return finish(t, "deadline", out)
      }
    }
  }
}

const ack = (
  config: MachineConfig,
  s: MachineState,
  e: Extract<Event, { _tag: "Ack" }>,
  out: Out
): MachineState => {
  if (e.streamId !== s.streamId || (s.phase !== "active" && s.phase !== "draining")) return s
  if (!e.ok) {
    return fail(config, s, {
      failureClass: "transient",
      code: 13,
      message: `batch ${e.batchId} acknowledged with a status other than OK`
    }, out)
  }
  if (e.batchId !== s.expectedAck || (e.batchId > 0 && s.unacked === 0)) {
    const what = e.batchId > 0 && s.unacked === 0 && e.batchId >= s.expectedAck
      ? `ack for batch ${e.batchId} while no batch awaits one`
      : e.batchId < s.expectedAck
      ? `duplicate ack for batch ${e.batchId} (expected ${s.expectedAck})`
      : `out-of-order ack for batch ${e.batchId} (expected ${s.expectedAck})`
    return fail(config, s, { failureClass: "transient", code: 3, message: what }, out)
  }
  let next: MachineState = { ...s, expectedAck: s.expectedAck + 1 }
  if (e.batchId > 0) {
    out.push({ _tag: "Pop" })
    next = { ...next, unacked: next.unacked - 1 }
    // The first data batch acknowledged on a stream proves it healthy.
    if (e.batchId === 1) next = { ...next, errors: 0, protocolErrors: 0 }
  }
  // Restart the watchdog on progress; stop it once nothing is owed.
  next = cancelTimer(next, "ackWatchdog", out)
  if (owesAcks(next)) next = startTimer(next, "ackWatchdog", config.ackTimeoutMs, out)
  // Shutdown gives up only after `shutdownTimeoutMs` without progress: every acknowledged batch restarts it.
  if (e.batchId > 0 && next.timers.shutdown !== undefined) {
    next = startTimer(cancelTimer(next, "shutdown", out), "shutdown", config.shutdownTimeoutMs, out)
  }
  // The window moved: send what waits for room.
  next = pump(config, next, out)
  next = checkDone(next, out)
  if (next.phase === "draining" && next.unacked === 0) {
    out.push({ _tag: "Rotated", reason: "lifetime" })
    next = open(leaveStream(next, "halfClose", out), out)
  }
  return next
}
