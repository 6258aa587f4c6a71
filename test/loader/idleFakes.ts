/** A fake holder whose connections the test makes arrive, and a fake classifier whose verdicts the test gives. */
import type * as Net from "node:net"
import type { IdleClassifier, Verdict } from "../../src/layers/loader/idle/IdleClassifier.js"
import type { HeldConnection, HolderEvent } from "../../src/layers/loader/idle/IdleListeners.js"
import type { ListenerKind, PolicyConfig } from "../../src/services/loader/Policy.js"

export const conn = (id: number, listener: ListenerKind = "tcp"): HeldConnection => ({ id, listener, fd: 100 + id, socket: {} as Net.Socket })

export const probePolicy: PolicyConfig = { handleTcpProbe: true, maxHeld: 4, secondClientActivates: false }

export const fakes = (onWatch: (id: number) => void = () => {}) => {
  const held = new Map<number, HeldConnection>()
  const dropped: Array<number> = []
  // Like the real holder, events that arrive before the subscription are kept for it.
  const early: Array<HolderEvent> = []
  let deliver: (e: HolderEvent) => void = (e) => void early.push(e)
  const watching = new Map<number, (v: Verdict) => void>()
  const stopped: Array<number> = []
  let closed = false
  const classifier: IdleClassifier = {
    watch: (c, done) => {
      watching.set(c.id, done)
      onWatch(c.id)
      return () => void stopped.push(c.id)
    },
    close: () => void (closed = true)
  }
  const holder = {
    held: () => [...held.values()],
    subscribe: (f: (e: HolderEvent) => void) => {
      deliver = f
      for (const e of early.splice(0)) f(e)
    },
    drop: (id: number) => {
      held.delete(id)
      dropped.push(id)
    }
  }
  return {
    holder,
    classifier,
    dropped,
    stopped,
    watching,
    closed: () => closed,
    arrive: (c: HeldConnection) => {
      held.set(c.id, c)
      deliver({ _tag: "Accepted", conn: c })
    },
    verdict: (id: number, v: Verdict) => watching.get(id)!(v),
    failListener: (detail: string) => deliver({ _tag: "ListenerFailed", detail })
  }
}
