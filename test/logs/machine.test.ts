import { assert, describe, it } from "@effect/vitest"
import {
  backoffDelay,
  type Command,
  defaultMachineConfig,
  type Event,
  initialState,
  lifetimeDelay,
  type MachineConfig,
  type MachineState,
  step,
  type StreamProblem
} from "../../src/services/logs/StreamWorkerMachine.js"

const cfg: MachineConfig = { ...defaultMachineConfig, streamLifetimeMs: 10_000, drainTimeoutMs: 5_000, backoffBaseMs: 1_000, backoffMaxMs: 10_000, maxProtocolErrors: 2 }

const run = (s: MachineState, ...events: ReadonlyArray<Event>) => {
  let state = s
  const commands: Array<Command> = []
  for (const e of events) {
    const [next, cmds] = step(cfg, state, e)
    state = next
    commands.push(...cmds)
  }
  return { state, commands }
}
const tags = (cmds: ReadonlyArray<Command>) => cmds.map((c) => c._tag)
const timerToken = (s: MachineState, t: keyof MachineState["timers"]) => s.timers[t]!
const fire = (s: MachineState, timer: keyof MachineState["timers"]): Event => ({ _tag: "Timer", timer, token: timerToken(s, timer) })
const transient: StreamProblem = { failureClass: "transient", code: 14, message: "unavailable" }
const fatal: StreamProblem = { failureClass: "fatal", code: 16, message: "bad key" }
const protocol: StreamProblem = { failureClass: "protocol", code: 3, message: "bad batch" }

/** A worker with stream 1 active and `n` batches sent. */
const active = (n = 0) => run(initialState(42), { _tag: "Start" }, { _tag: "StreamOpened", streamId: 1 }, ...(n > 0 ? [{ _tag: "Queued", count: n } as const] : []))

describe("StreamWorkerMachine", () => {
  it("start → connecting opens stream 1", () => {
    const { state, commands } = run(initialState(1), { _tag: "Start" })
    assert.strictEqual(state.phase, "connecting")
    assert.deepStrictEqual(commands, [{ _tag: "Open", streamId: 1 }])
  })

  it("connecting → active: snapshot, lifetime (jittered), watchdog, then unsent payloads as 1, 2 …", () => {
    const { state, commands } = run(initialState(1), { _tag: "Queued", count: 2 }, { _tag: "Start" }, { _tag: "StreamOpened", streamId: 1 })
    assert.strictEqual(state.phase, "active")
    assert.deepStrictEqual(tags(commands), ["Open", "SendSnapshot", "StartTimer", "StartTimer", "Send", "Send"])
    const lifetime = commands.find((c) => c._tag === "StartTimer" && c.timer === "lifetime") as Extract<Command, { _tag: "StartTimer" }>
    assert.isAtLeast(lifetime.delayMs, 9_000)
    assert.isAtMost(lifetime.delayMs, 11_000)
    assert.deepStrictEqual(commands.filter((c) => c._tag === "Send").map((c) => (c as { batchId: number }).batchId), [1, 2])
    assert.strictEqual(state.unacked, 2)
  })

  it("sends at most sendWindow unacknowledged batches; each ack lets the next one out; shutdown waits for all", () => {
    const small: MachineConfig = { ...cfg, sendWindow: 3 }
    let state = initialState(7)
    const commands: Array<Command> = []
    const feed = (...events: ReadonlyArray<Event>) => {
      for (const e of events) {
        const [next, cmds] = step(small, state, e)
        state = next
        commands.push(...cmds)
      }
    }
    const sent = () => commands.filter((c) => c._tag === "Send").map((c) => (c as { batchId: number }).batchId)
    feed({ _tag: "Start" }, { _tag: "StreamOpened", streamId: 1 }, { _tag: "Queued", count: 5 })
    assert.deepStrictEqual(sent(), [1, 2, 3])
    assert.deepStrictEqual([state.unacked, state.unsent], [3, 2])
    feed({ _tag: "Ack", streamId: 1, batchId: 0, ok: true }, { _tag: "Ack", streamId: 1, batchId: 1, ok: true })
    assert.deepStrictEqual(sent(), [1, 2, 3, 4])
    feed({ _tag: "InputClosed" }, { _tag: "Shutdown" })
    assert.notStrictEqual(state.phase, "stopped", "unsent batches are still owed")
    for (const id of [2, 3, 4, 5]) feed({ _tag: "Ack", streamId: 1, batchId: id, ok: true })
    assert.deepStrictEqual(sent(), [1, 2, 3, 4, 5])
    assert.strictEqual(state.phase, "stopped")
    assert.deepStrictEqual(commands.at(-1), { _tag: "Done", reason: "drained" })
  })

  it("lifetime jitter spreads workers: different seeds give different lifetimes within ±10 %", () => {
    const lifetimes = new Set([1, 2, 3, 4, 5].map((seed) => {
      const c = run(initialState(seed), { _tag: "Start" }, { _tag: "StreamOpened", streamId: 1 }).commands
      const t = c.find((x) => x._tag === "StartTimer" && x.timer === "lifetime") as Extract<Command, { _tag: "StartTimer" }>
      assert.isAtLeast(t.delayMs, 9_000)
      assert.isAtMost(t.delayMs, 11_000)
      return t.delayMs
    }))
    assert.isAbove(lifetimes.size, 1)
    assert.strictEqual(lifetimeDelay(cfg, 0), 9_000)
    assert.strictEqual(lifetimeDelay(cfg, 1), 11_000)
  })

  it("in-order acks pop payloads; ack 0 is the snapshot", () => {
    const a = active(2)
    const { state, commands } = run(a.state, { _tag: "Ack", streamId: 1, batchId: 0, ok: true }, { _tag: "Ack", streamId: 1, batchId: 1, ok: true }, { _tag: "Ack", streamId: 1, batchId: 2, ok: true })
    assert.strictEqual(tags(commands).filter((t) => t === "Pop").length, 2)
    assert.strictEqual(state.unacked, 0)
    assert.strictEqual(state.phase, "active")
  })

  for (const [name, acks] of [
    ["out-of-order", [0, 2]],
    ["duplicate", [0, 1, 1]],
    ["unexpected (nothing awaits an ack)", [0, 1, 2, 3]],
    ["data ack before the snapshot ack", [1]]
  ] as const) {
    it(`${name} ack abandons the stream and backs off`, () => {
      const a = active(2)
      const { state, commands } = run(a.state, ...acks.map((b): Event => ({ _tag: "Ack", streamId: 1, batchId: b, ok: true })))
      assert.strictEqual(state.phase, "disconnected")
      assert.include(tags(commands), "Close")
      assert.include(tags(commands), "Rotated")
      assert.strictEqual(state.unsent + state.unacked, 2 - tags(commands).filter((t) => t === "Pop").length)
      assert.isDefined(state.timers.backoff)
    })
  }

  it("an ack with a status other than OK fails the stream", () => {
    const { state } = run(active(1).state, { _tag: "Ack", streamId: 1, batchId: 0, ok: false })
    assert.strictEqual(state.phase, "disconnected")
  })

  it("stale signals from an old stream are ignored by identity", () => {
    const a = active(1)
    const failed = run(a.state, { _tag: "StreamFailed", streamId: 1, problem: transient })
    const reopened = run(failed.state, fire(failed.state, "backoff"), { _tag: "StreamOpened", streamId: 2 })
    const before = reopened.state
    const { state, commands } = run(before,
      { _tag: "Ack", streamId: 1, batchId: 0, ok: true },
      { _tag: "Ack", streamId: 1, batchId: 1, ok: true },
      { _tag: "StreamFailed", streamId: 1, problem: transient },
      { _tag: "StreamOpened", streamId: 1 })
    assert.deepStrictEqual(commands, [])
    assert.deepStrictEqual(state, before)
  })

  it("cancelled timers are ignored by token", () => {
    const a = active(0)
    const staleLifetime = fire(a.state, "lifetime")
    const rotated = run(a.state, staleLifetime) // rotates: nothing unacked
    const again = run(rotated.state, staleLifetime)
    assert.deepStrictEqual(again.commands, [])
  })

  it("active → connecting on lifetime with nothing unacked (half-close, no backoff)", () => {
    const a = active(1)
    const acked = run(a.state, { _tag: "Ack", streamId: 1, batchId: 0, ok: true }, { _tag: "Ack", streamId: 1, batchId: 1, ok: true })
    const { state, commands } = run(acked.state, fire(acked.state, "lifetime"))
    assert.strictEqual(state.phase, "connecting")
    assert.deepStrictEqual(commands.filter((c) => c._tag === "Close" || c._tag === "Open" || c._tag === "Rotated"), [
      { _tag: "Rotated", reason: "lifetime" },
      { _tag: "Close", streamId: 1, how: "halfClose" },
      { _tag: "Open", streamId: 2 }
    ])
    assert.strictEqual(state.errors, 0)
  })

  it("active → draining on lifetime with unacked; nothing is sent while draining; the last ack rotates", () => {
    const a = active(1)
    const d = run(a.state, fire(a.state, "lifetime"))
    assert.strictEqual(d.state.phase, "draining")
    const queued = run(d.state, { _tag: "Queued", count: 1 })
    assert.notInclude(tags(queued.commands), "Send")
    const { state, commands } = run(queued.state, { _tag: "Ack", streamId: 1, batchId: 0, ok: true }, { _tag: "Ack", streamId: 1, batchId: 1, ok: true })
    assert.strictEqual(state.phase, "connecting")
    assert.include(tags(commands), "Open")
    const opened = run(state, { _tag: "StreamOpened", streamId: 2 })
    assert.deepStrictEqual(opened.commands.filter((c) => c._tag === "Send"), [{ _tag: "Send", streamId: 2, batchId: 1 }])
  })

  it("draining → connecting on drain timeout: unacked payloads are rewound and replayed from 1", () => {
    const a = active(2)
    const d = run(a.state, fire(a.state, "lifetime"))
    const { state, commands } = run(d.state, fire(d.state, "drain"))
    assert.strictEqual(state.phase, "connecting")
    assert.deepStrictEqual(commands.filter((c) => c._tag === "Rewind" || c._tag === "Close"), [
      { _tag: "Close", streamId: 1, how: "cancel" },
      { _tag: "Rewind", count: 2 }
    ])
    const opened = run(state, { _tag: "StreamOpened", streamId: 2 })
    assert.deepStrictEqual(opened.commands.filter((c) => c._tag === "Send").map((c) => (c as { batchId: number }).batchId), [1, 2])
  })

  it("connecting → disconnected on open failure; backoff grows, is capped, and resets on the first data ack", () => {
    let s = run(initialState(7), { _tag: "Start" }).state
    const delays: Array<number> = []
    for (let i = 1; i <= 6; i++) {
      const r = run(s, { _tag: "StreamFailed", streamId: s.streamId, problem: transient })
      assert.strictEqual(r.state.phase, "disconnected")
      const t = r.commands.find((c) => c._tag === "StartTimer" && c.timer === "backoff") as Extract<Command, { _tag: "StartTimer" }>
      delays.push(t.delayMs)
      s = run(r.state, fire(r.state, "backoff")).state
      assert.strictEqual(s.phase, "connecting")
    }
    assert.isAtLeast(delays[0]!, 500)
    assert.isAtMost(delays[0]!, 1_000)
    for (const d of delays.slice(4)) {
      assert.isAtLeast(d, 5_000)
      assert.isAtMost(d, 10_000)
    }
    const healthy = run(s, { _tag: "StreamOpened", streamId: s.streamId }, { _tag: "Queued", count: 1 }, { _tag: "Ack", streamId: s.streamId, batchId: 0, ok: true })
    assert.isAbove(healthy.state.errors, 0) // the snapshot ack alone does not prove health
    const reset = run(healthy.state, { _tag: "Ack", streamId: s.streamId, batchId: 1, ok: true })
    assert.strictEqual(reset.state.errors, 0)
    assert.strictEqual(backoffDelay(cfg, 1, 0), 500)
    assert.strictEqual(backoffDelay(cfg, 30, 1), 10_000)
  })

  it("backoff timer outside disconnected, drain timer outside draining and lifetime outside active are ignored", () => {
    const a = active(1)
    const lifetimeTok = fire(a.state, "lifetime")
    const failed = run(a.state, { _tag: "StreamFailed", streamId: 1, problem: transient })
    assert.deepStrictEqual(run(failed.state, lifetimeTok).commands, [])
  })

  it("fatal errors stop retrying and set the failed health state; shutdown then finishes at once", () => {
    const a = active(1)
    const f = run(a.state, { _tag: "StreamFailed", streamId: 1, problem: fatal })
    assert.strictEqual(f.state.phase, "failed")
    assert.isUndefined(f.state.timers.backoff)
    assert.deepStrictEqual(f.commands.find((c) => c._tag === "Problem"), { _tag: "Problem", problem: fatal, terminal: true })
    const done = run(f.state, { _tag: "Shutdown" })
    assert.deepStrictEqual(done.commands.at(-1), { _tag: "Done", reason: "failed" })
  })

  it("protocol errors retry with the long backoff at most maxProtocolErrors times", () => {
    let s = active(1).state
    for (let i = 1; i <= cfg.maxProtocolErrors; i++) {
      const r = run(s, { _tag: "StreamFailed", streamId: s.streamId, problem: protocol })
      assert.strictEqual(r.state.phase, "disconnected")
      assert.deepStrictEqual(r.commands.find((c) => c._tag === "StartTimer"), { _tag: "StartTimer", timer: "backoff", delayMs: cfg.backoffMaxMs, token: r.state.timers.backoff! })
      s = run(r.state, fire(r.state, "backoff"), { _tag: "StreamOpened", streamId: r.state.lastStreamId + 1 }).state
    }
    const last = run(s, { _tag: "StreamFailed", streamId: s.streamId, problem: protocol })
    assert.strictEqual(last.state.phase, "failed")
  })

  it("ack watchdog fails a stream that owes acks and goes quiet", () => {
    const a = active(1)
    const { state } = run(a.state, fire(a.state, "ackWatchdog"))
    assert.strictEqual(state.phase, "disconnected")
    assert.strictEqual(state.unsent, 1)
  })

  it("shutdown waits for input to close and every ack, then half-closes and is done", () => {
    const a = active(1)
    const s1 = run(a.state, { _tag: "Shutdown" }, { _tag: "Queued", count: 1 }, { _tag: "InputClosed" })
    assert.notInclude(tags(s1.commands), "Done")
    const { state, commands } = run(s1.state,
      { _tag: "Ack", streamId: 1, batchId: 0, ok: true },
      { _tag: "Ack", streamId: 1, batchId: 1, ok: true },
      { _tag: "Ack", streamId: 1, batchId: 2, ok: true })
    assert.strictEqual(state.phase, "stopped")
    assert.deepStrictEqual(commands.slice(-2), [{ _tag: "Close", streamId: 1, how: "halfClose" }, { _tag: "Done", reason: "drained" }])
  })

  it("shutdown gives up only after shutdownTimeoutMs without progress: each acknowledged batch restarts the deadline", () => {
    const a = active(3)
    const s1 = run(a.state, { _tag: "Shutdown" }, { _tag: "InputClosed" }, { _tag: "Ack", streamId: 1, batchId: 0, ok: true })
    const firstDeadline = timerToken(s1.state, "shutdown")
    const s2 = run(s1.state, { _tag: "Ack", streamId: 1, batchId: 1, ok: true })
    const restarted = s2.commands.find((c) => c._tag === "StartTimer" && c.timer === "shutdown")
    assert.deepStrictEqual(restarted, { _tag: "StartTimer", timer: "shutdown", delayMs: cfg.shutdownTimeoutMs, token: timerToken(s2.state, "shutdown") })
    // The deadline armed before the ack is stale: it no longer ends the shutdown.
    const stale = run(s2.state, { _tag: "Timer", timer: "shutdown", token: firstDeadline })
    assert.strictEqual(stale.state.phase, "active")
    assert.deepStrictEqual(stale.commands, [])
    // Without further progress the current deadline ends it.
    const end = run(s2.state, fire(s2.state, "shutdown"))
    assert.deepStrictEqual(end.commands.at(-1), { _tag: "Done", reason: "deadline" })
    assert.strictEqual(end.state.phase, "stopped")
  })

  it("abort ends at once, cancelling the stream, whatever is unacknowledged", () => {
    const a = active(2)
    const waiting = run(a.state, { _tag: "Shutdown" }, { _tag: "InputClosed" })
    const { state, commands } = run(waiting.state, { _tag: "Abort" })
    assert.strictEqual(state.phase, "stopped")
    assert.deepStrictEqual(commands.slice(-2), [{ _tag: "Close", streamId: 1, how: "cancel" }, { _tag: "Done", reason: "aborted" }])
    assert.deepStrictEqual(run(initialState(3), { _tag: "Abort" }).commands, [{ _tag: "Done", reason: "aborted" }])
  })

  it("stream fails, then shutdown before a new stream exists: no close of a stream that is gone; deadline ends it", () => {
    const a = active(2)
    const failed = run(a.state, { _tag: "StreamFailed", streamId: 1, problem: transient })
    const { state, commands } = run(failed.state, { _tag: "Shutdown" }, { _tag: "InputClosed" })
    assert.notInclude(tags(commands), "Close")
    const end = run(state, fire(state, "shutdown"))
    assert.strictEqual(end.state.phase, "stopped")
    assert.deepStrictEqual(end.commands.filter((c) => c._tag === "Close"), [])
    assert.deepStrictEqual(end.commands.at(-1), { _tag: "Done", reason: "deadline" })
    // Nothing acts after the end.
    assert.deepStrictEqual(run(end.state, fire(failed.state, "backoff"), { _tag: "StreamOpened", streamId: 2 }).commands, [])
  })

  it("an offered chunk is held and accepted at once while the tracker has room; room is then unknown until reported", () => {
    const { state, commands } = run(initialState(1), { _tag: "Offered" })
    assert.deepStrictEqual(tags(commands), ["Hold", "Accept"])
    assert.deepStrictEqual([state.held, state.room], [0, "unknown"])
    // A second chunk offered before the driver reports the room waits, however many there are.
    const waiting = run(state, { _tag: "Offered" }, { _tag: "Offered" })
    assert.deepStrictEqual(tags(waiting.commands), ["Hold", "Hold"])
    assert.strictEqual(waiting.state.held, 2)
  })

  it("each report of free room accepts exactly one held chunk; a full tracker holds them all", () => {
    const full = run(initialState(1), { _tag: "Room", free: false }, { _tag: "Offered" }, { _tag: "Offered" })
    assert.deepStrictEqual(tags(full.commands), ["InputFull", "Hold", "Hold"])
    const one = run(full.state, { _tag: "Room", free: true })
    assert.deepStrictEqual(tags(one.commands), ["Accept"])
    assert.deepStrictEqual([one.state.held, one.state.room], [1, "unknown"])
    // The accepted chunk filled the tracker: the next chunk waits for acks to free room.
    const refilled = run(one.state, { _tag: "Room", free: false })
    assert.deepStrictEqual(tags(refilled.commands), ["InputFull"])
    const two = run(refilled.state, { _tag: "Room", free: true })
    assert.deepStrictEqual(tags(two.commands), ["Accept"])
    assert.strictEqual(two.state.held, 0)
  })

  it("the tracker filling up is counted once, not once per report", () => {
    const { commands } = run(initialState(1), { _tag: "Room", free: false }, { _tag: "Room", free: false }, { _tag: "Offered" })
    assert.deepStrictEqual(tags(commands), ["InputFull", "Hold"])
  })

  it("shutdown with nothing held seals the input at once; done once the sealed batch is acknowledged", () => {
    const a = active(0)
    const stop = run(a.state, { _tag: "Shutdown" })
    assert.deepStrictEqual(tags(stop.commands), ["SealInput", "StartTimer"])
    assert.deepStrictEqual([stop.state.intake, stop.state.stopping], ["sealed", true])
    const sealed = run(stop.state, { _tag: "Queued", count: 1 }, { _tag: "InputClosed" })
    assert.notInclude(tags(sealed.commands), "Done")
    const end = run(sealed.state, { _tag: "Ack", streamId: 1, batchId: 0, ok: true }, { _tag: "Ack", streamId: 1, batchId: 1, ok: true })
    assert.deepStrictEqual(end.commands.at(-1), { _tag: "Done", reason: "drained" })
    assert.strictEqual(end.state.done, "drained")
  })

  it("shutdown closes the intake: later offers are refused, held chunks still go in as room allows, then the input is sealed", () => {
    const a = active(0)
    const full = run(a.state, { _tag: "Room", free: false }, { _tag: "Offered" })
    const stop = run(full.state, { _tag: "Shutdown" })
    assert.notInclude(tags(stop.commands), "SealInput", "a held chunk is still to come")
    assert.strictEqual(stop.state.intake, "closing")
    assert.deepStrictEqual(tags(run(stop.state, { _tag: "Offered" }).commands), ["Refuse"])
    assert.deepStrictEqual(tags(run(stop.state, { _tag: "Shutdown" }).commands), [], "a second stop changes nothing")
    const room = run(stop.state, { _tag: "Room", free: true })
    assert.deepStrictEqual(tags(room.commands), ["Accept", "SealInput"])
    assert.deepStrictEqual([room.state.held, room.state.intake], [0, "sealed"])
  })

  it("a stopped worker refuses every offer; abort with chunks held ends at once", () => {
    const full = run(active(1).state, { _tag: "Room", free: false }, { _tag: "Offered" })
    const aborted = run(full.state, { _tag: "Abort" })
    assert.deepStrictEqual(aborted.commands.at(-1), { _tag: "Done", reason: "aborted" })
    assert.notInclude(tags(aborted.commands), "Accept")
    assert.deepStrictEqual([aborted.state.phase, aborted.state.done, aborted.state.held], ["stopped", "aborted", 1])
    assert.deepStrictEqual(run(aborted.state, { _tag: "Offered" }).commands, [{ _tag: "Refuse" }])
    assert.deepStrictEqual(run(aborted.state, { _tag: "Room", free: true }).commands, [])
  })

  it("the same seed and events give the same decisions (deterministic)", () => {
    const events: Array<Event> = [{ _tag: "Start" }, { _tag: "StreamFailed", streamId: 1, problem: transient }]
    assert.deepStrictEqual(run(initialState(9), ...events), run(initialState(9), ...events))
  })
})
