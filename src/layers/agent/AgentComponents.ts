/**
 * What the agent's components share: each registers its status when its layer is built (the status endpoint
 * reports a component that did not register as disabled) and records its outcome when its orderly stop has
 * run (the program's exit status is decided from those outcomes after the teardown).
 */
import { Context, Effect, Layer, Ref } from "effect"

export type ComponentName = "logs" | "process" | "dynamic_instrumentation" | "live_capture"
export const componentNames: ReadonlyArray<ComponentName> = ["logs", "process", "dynamic_instrumentation", "live_capture"]

export interface ComponentOutcome {
  /** False when the component lost or could not deliver something (e.g. logs left unacknowledged). */
  readonly complete: boolean
  /** Printed as the run's summary. */
  readonly summary?: unknown
}

export interface AgentComponentsService {
  readonly register: (name: ComponentName, status: Effect.Effect<{ readonly state: string }>) => Effect.Effect<void>
  /** Every component's status; `{ state: "disabled" }` for one not in the agent. */
  readonly statuses: Effect.Effect<Record<ComponentName, unknown>>
  readonly finished: (name: ComponentName, outcome: ComponentOutcome) => Effect.Effect<void>
  readonly outcomes: Effect.Effect<ReadonlyMap<ComponentName, ComponentOutcome>>
}

export class AgentComponents extends Context.Tag("dd-agent-effect/AgentComponents")<AgentComponents, AgentComponentsService>() {
  static readonly make: Effect.Effect<AgentComponentsService> = Effect.gen(function*() {
    const registered = yield* Ref.make(new Map<ComponentName, Effect.Effect<{ readonly state: string }>>())
    const outcomes = yield* Ref.make(new Map<ComponentName, ComponentOutcome>())
    return {
      register: (name, status) => Ref.update(registered, (m) => new Map(m).set(name, status)),
      statuses: Effect.gen(function*() {
        const m = yield* Ref.get(registered)
        const out = {} as Record<ComponentName, unknown>
        for (const name of componentNames) {
          const s = m.get(name)
          out[name] = s === undefined ? { state: "disabled" } : yield* s
        }
        return out
      }),
      finished: (name, outcome) => Ref.update(outcomes, (m) => new Map(m).set(name, outcome)),
      outcomes: Ref.get(outcomes)
    }
  })

  static readonly layer = Layer.effect(AgentComponents, AgentComponents.make)
}

/** 0 when every component that stopped reported a complete outcome, 3 otherwise. */
export const exitCodeOf = (outcomes: ReadonlyMap<ComponentName, ComponentOutcome>): number =>
  [...outcomes.values()].every((o) => o.complete) ? 0 : 3
