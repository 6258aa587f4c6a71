/**
 * Starting the agent with the held sockets, in plain Node (no Effect), so the idle phase starts it the moment
 * traffic arrives and loads Effect only while the agent itself starts. Supervisor.ts adopts the child.
 */
import * as ChildProcess from "node:child_process"
import type * as Net from "node:net"
import type { Writable } from "node:stream"
import { encodePrefixes, type Plan } from "../../../services/loader/HandoverPlan.js"
import { drainBuffered } from "./IdleClassifier.js"

export interface AgentExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface LaunchedAgent {
  readonly child: ChildProcess.ChildProcess
  /** Settles when the agent exits (listened to from the spawn on, so no exit is missed). */
  readonly exited: Promise<AgentExit>
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * Spawns the agent the plan describes: its own process group (terminal signals reach the loader only, which
 * forwards them once), the plan's sockets at fd 3, 4…; `afterSpawn` runs in the same synchronous step as the
 * spawn, with the write end of the prefix pipe when the plan has one. Rejects with the reason it could not start.
 */
export const launchAgent = (
  plan: Plan<{ readonly fd: number }, { readonly fd: number }>,
  argv0: string,
  afterSpawn: (prefixSink: Writable | undefined) => void
): Promise<LaunchedAgent> => {
  let child: ChildProcess.ChildProcess
  try {
    child = ChildProcess.spawn(plan.file, [...plan.args], {
      argv0,
      env: plan.env,
      detached: true,
      stdio: [
        "inherit",
        "inherit",
        "inherit",
        ...plan.slots.map((s) => s.item.fd),
        ...(plan.prefixFd !== undefined ? ["pipe" as const] : [])
      ]
    })
  } catch (e) {
    return Promise.reject(new Error(describe(e)))
  }
  if (child.pid === undefined) {
    // libuv reports the failure on the next tick; wait for it to get the reason.
    return new Promise((_, reject) => child.once("error", (e) => reject(new Error(describe(e)))))
  }
  const sink = plan.prefixFd === undefined ? undefined : (child.stdio[plan.prefixFd] as Writable | null) ?? undefined
  sink?.on("error", () => {}) // an agent that exits without reading its prefixes
  child.on("error", () => {}) // kill() on an exited child; the exit event is what counts
  const exited = new Promise<AgentExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })))
  afterSpawn(sink)
  return Promise.resolve({ child, exited })
}

/**
 * The step right after the spawn: drains what Node buffered from each client (only the reading classifier
 * reads), sends it to the agent, then lets go of the loader's copies of every socket (`relinquish`).
 */
export const handOverSockets = (
  plan: Plan<{ readonly fd: number }, { readonly fd: number }>,
  clients: ReadonlyArray<{ readonly socket: Net.Socket }>,
  relinquish: () => void
) =>
(sink: Writable | undefined): void => {
  if (sink !== undefined) {
    const prefixes = plan.slots.flatMap((slot) => {
      const c = clients.find((x) => (x as unknown) === slot.item)
      const bytes = c === undefined ? undefined : drainBuffered(c.socket)
      return bytes !== undefined && bytes.length > 0 ? [{ fd: slot.fd, bytes }] : []
    })
    sink.end(encodePrefixes(prefixes))
  }
  relinquish()
}

/** Held clients in handover order: the trigger first, then by arrival. */
export const handoverOrder = <C extends { readonly id: number }>(held: ReadonlyArray<C>, trigger: number | undefined): Array<C> => [
  ...held.filter((c) => c.id === trigger),
  ...held.filter((c) => c.id !== trigger)
]

/** The debug lines naming where each socket lands in the agent. */
export const slotLines = (plan: Plan<unknown, unknown>): ReadonlyArray<string> =>
  plan.slots.map((slot) => {
    const item = slot.item as { kind?: string; listener?: string }
    return item.kind !== undefined ? `${item.kind} listener file descriptor is ${slot.fd}` : `${item.listener} client file descriptor is ${slot.fd}`
  })
