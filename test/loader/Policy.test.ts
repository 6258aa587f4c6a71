import { describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { assert } from "vitest"
import {
  Classification,
  type Decision,
  initialState,
  type PolicyConfig,
  PolicyEvent,
  type PolicyState,
  step
} from "../../src/services/loader/Policy.js"

const probing: PolicyConfig = { handleTcpProbe: true, maxHeld: 3, secondClientActivates: false }
const plain: PolicyConfig = { ...probing, handleTcpProbe: false }
const compat: PolicyConfig = { ...probing, secondClientActivates: true }

const run = (config: PolicyConfig, events: ReadonlyArray<PolicyEvent>, from: PolicyState = initialState) => {
  let s = from
  const decisions: Array<Decision> = []
  for (const e of events) {
    const [next, ds] = step(config, s, e)
    s = next
    decisions.push(...ds)
  }
  return { state: s, decisions }
}

const tcp = (id: number) => PolicyEvent.Accepted({ id, listener: "tcp" })
const closed = (id: number) => PolicyEvent.Classified({ id, result: Classification.Closed() })
const data = (id: number, bytes = 10) => PolicyEvent.Classified({ id, result: Classification.Data({ bytes }) })
const tags = (ds: ReadonlyArray<Decision>) => ds.map((d) => d._tag)
const reasonOf = (ds: ReadonlyArray<Decision>) => {
  const a = ds.find((d) => d._tag === "Activate")
  return a?._tag === "Activate" ? a.reason : undefined
}

describe("activation policy, probe handling on", () => {
  it("holds a TCP connection, then drops it when it closes (FIN or RST look the same: Closed)", () => {
    const r = run(probing, [tcp(1), closed(1)])
    assert.deepStrictEqual(tags(r.decisions), ["Hold", "Drop"])
    assert.deepStrictEqual(r.state, { phase: "waiting", held: [], absorbed: 1 })
  })

  it("activates on data from a held TCP client, naming it as the trigger", () => {
    const r = run(probing, [tcp(1), data(1, 1080)])
    const last = r.decisions.at(-1)
    assert.strictEqual(last?._tag, "Activate")
    if (last?._tag === "Activate") {
      assert.strictEqual(last.reason, "data")
      assert.strictEqual(last.trigger, 1)
      assert.include(last.detail, "1080")
    }
    assert.strictEqual(r.state.phase, "activated")
  })

  it("classifies each connection on its own: an idle held client does not activate a second one", () => {
    const r = run(probing, [tcp(1), tcp(2), closed(2), PolicyEvent.Classified({ id: 1, result: Classification.Idle() })])
    assert.deepStrictEqual(tags(r.decisions), ["Hold", "Hold", "Drop"])
    assert.deepStrictEqual(r.state.held, [1])
  })

  it("unix and OTLP connections activate at once", () => {
    assert.strictEqual(reasonOf(run(probing, [PolicyEvent.Accepted({ id: 1, listener: "unix" })]).decisions), "unix-connection")
    assert.strictEqual(reasonOf(run(probing, [PolicyEvent.Accepted({ id: 1, listener: "otlp" })]).decisions), "otlp-connection")
  })

  it("activates when more than maxHeld TCP connections are held", () => {
    const r = run(probing, [tcp(1), tcp(2), tcp(3), tcp(4)])
    assert.deepStrictEqual(tags(r.decisions), ["Hold", "Hold", "Hold", "Activate"])
    assert.strictEqual(reasonOf(r.decisions), "hold-cap")
  })

  it("dropped connections free their place under the cap", () => {
    const r = run(probing, [tcp(1), tcp(2), tcp(3), closed(1), tcp(4)])
    assert.deepStrictEqual(tags(r.decisions), ["Hold", "Hold", "Hold", "Drop", "Hold"])
  })

  it("a hold timeout of a held connection activates; one of a dropped connection is ignored", () => {
    assert.strictEqual(reasonOf(run(probing, [tcp(1), PolicyEvent.HoldTimeout({ id: 1 })]).decisions), "hold-timeout")
    const r = run(probing, [tcp(1), closed(1), PolicyEvent.HoldTimeout({ id: 1 })])
    assert.deepStrictEqual(tags(r.decisions), ["Hold", "Drop"])
  })

  it("an unknown classification or any error activates (fail open)", () => {
    const unknown = PolicyEvent.Classified({ id: 1, result: Classification.Unknown({ detail: "no table" }) })
    assert.strictEqual(reasonOf(run(probing, [tcp(1), unknown]).decisions), "unknown-classification")
    assert.strictEqual(reasonOf(run(probing, [PolicyEvent.Failed({ detail: "boom" })]).decisions), "error")
  })

  it("verdicts for connections it does not hold change nothing", () => {
    const r = run(probing, [closed(9), data(9)])
    assert.deepStrictEqual(r.decisions, [])
    assert.deepStrictEqual(r.state, initialState)
  })
})

describe("activation policy, probe handling off", () => {
  it("the first connection on any listener activates", () => {
    for (const listener of ["tcp", "unix", "otlp"] as const) {
      const r = run(plain, [PolicyEvent.Accepted({ id: 7, listener })])
      assert.strictEqual(reasonOf(r.decisions), "connection")
    }
  })
})

describe("activation policy, Datadog compatibility mode", () => {
  it("a second TCP client while one is held activates", () => {
    const r = run(compat, [tcp(1), tcp(2)])
    assert.deepStrictEqual(tags(r.decisions), ["Hold", "Activate"])
    assert.strictEqual(reasonOf(r.decisions), "second-client")
  })

  it("a second client after the first closed is held", () => {
    const r = run(compat, [tcp(1), closed(1), tcp(2)])
    assert.deepStrictEqual(tags(r.decisions), ["Hold", "Drop", "Hold"])
  })
})

describe("signals and final states", () => {
  it("SIGTERM and SIGINT before activation exit 0; SIGHUP is ignored", () => {
    for (const signal of ["SIGTERM", "SIGINT"]) {
      const r = run(probing, [tcp(1), PolicyEvent.Signal({ signal })])
      const last = r.decisions.at(-1)
      assert.strictEqual(last?._tag, "Exit")
      if (last?._tag === "Exit") assert.strictEqual(last.code, 0)
      assert.strictEqual(r.state.phase, "exited")
    }
    assert.deepStrictEqual(run(probing, [PolicyEvent.Signal({ signal: "SIGHUP" })]).decisions, [])
  })

  it("nothing happens after a final decision", () => {
    const r = run(probing, [tcp(1), data(1), tcp(2), PolicyEvent.Signal({ signal: "SIGTERM" }), closed(1)])
    assert.deepStrictEqual(tags(r.decisions), ["Hold", "Activate"])
  })
})

// Properties over random event sequences.
const eventArb = fc.oneof(
  fc.record({ id: fc.integer({ min: 1, max: 8 }) }).map(({ id }) => tcp(id)),
  fc.integer({ min: 1, max: 8 }).map(closed),
  fc.integer({ min: 1, max: 8 }).map((id) => PolicyEvent.Classified({ id, result: Classification.Idle() }))
)

describe("activation policy properties", () => {
  it("TCP probes that connect and close never activate, whatever their interleaving", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 60 }), (ids) => {
        const unique = [...new Set(ids)]
        // Connections overlap: at most 2 open at once, each closed later.
        const events: Array<PolicyEvent> = []
        unique.forEach((id, i) => {
          events.push(tcp(id))
          if (i > 0) events.push(closed(unique[i - 1]!))
        })
        if (unique.length > 0) events.push(closed(unique.at(-1)!))
        const r = run({ ...probing, maxHeld: 16 }, events)
        return r.state.phase === "waiting" && r.state.held.length === 0 && r.state.absorbed === unique.length
      })
    )
  })

  it("data from a held client always activates with that client as trigger", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), fc.integer({ min: 1, max: 8 }), (prefix, id) => {
        const r1 = run({ ...probing, maxHeld: 100 }, prefix)
        if (r1.state.phase !== "waiting") return true
        const r2 = run({ ...probing, maxHeld: 100 }, [tcp(100 + id), data(100 + id)], r1.state)
        const last = r2.decisions.at(-1)
        return last?._tag === "Activate" && last.trigger === 100 + id && last.reason === "data"
      })
    )
  })

  it("held never exceeds maxHeld and at most one final decision is made", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 80 }), (events) => {
        let s = initialState
        let finals = 0
        for (const e of events) {
          const [next, ds] = step(probing, s, e)
          s = next
          finals += ds.filter((d) => d._tag === "Activate" || d._tag === "Exit").length
          if (s.held.length > probing.maxHeld) return false
        }
        return finals <= 1
      })
    )
  })
})
