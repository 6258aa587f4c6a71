/** The classifier port: tells a held connection that only connected and closed from one with data. */
import { Context, type Effect } from "effect"
import type { ClassifierError } from "./errors.js"
import type { Classification } from "./Policy.js"

export interface HeldConnectionRef {
  readonly id: number
  /** The connection's descriptor in this process. */
  readonly fd: number
}

export class ConnectionClassifier extends Context.Tag("dd-agent-effect/ConnectionClassifier")<
  ConnectionClassifier,
  {
    /**
     * Completes once the connection is decided: Closed, Data or Unknown (never Idle). Interrupting
     * it stops watching the connection. Never consumes bytes the agent must read.
     */
    readonly classify: (conn: HeldConnectionRef) => Effect.Effect<Classification, ClassifierError>
  }
>() {}
