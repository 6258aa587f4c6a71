/**
 * The driver of the activation policy: one loop takes events (accepted connections, classifier
 * verdicts, hold timeouts, listener failures, signals), steps the pure reducer and performs its
 * decisions. Each held connection is watched by its own fiber, interrupted when the loop ends.
 */
import { Clock, Duration, Effect, FiberMap, Metric, Queue } from "effect"
import type { ConnectionClassifier } from "../../services/loader/Classifier.js"
import * as Metrics from "../../services/loader/Metrics.js"
import {
  type ActivationReason,
  initialState,
  type PolicyConfig,
  PolicyEvent,
  step
} from "../../services/loader/Policy.js"
import type { ListenerEvent } from "./Listeners.js"

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

/** What the driver needs from the held sockets (a ListenerSet, or a fake in tests). */
export interface ConnectionSource {
  readonly events: Queue.Dequeue<ListenerEvent>
  readonly overflowed: () => number
  readonly drop: (id: number) => Effect.Effect<void>
}

export interface DriverOptions {
  readonly source: ConnectionSource
  readonly classifier: ConnectionClassifier["Type"]
  readonly signals: Queue.Dequeue<string>
  readonly policy: PolicyConfig
  readonly holdTimeout: Duration.DurationInput
}

export const INBOX_CAPACITY = 256

export const waitForActivation = (options: DriverOptions): Effect.Effect<ActivationResult> =>
  Effect.gen(function*() {
    const { classifier, policy, source } = options
    const startedAt = yield* Clock.currentTimeMillis
    const inbox = yield* Effect.acquireRelease(Queue.bounded<PolicyEvent>(INBOX_CAPACITY), Queue.shutdown)
    const watchers = yield* FiberMap.make<number>()
    const fds = new Map<number, number>()

    // Pumps: listener events and signals into the one inbox (bounded; they wait when it is full).
    yield* Queue.take(source.events).pipe(
      Effect.flatMap((e) => {
        if (source.overflowed() > 0) {
          return Metric.increment(Metrics.eventQueueFull).pipe(
            Effect.zipRight(Queue.offer(inbox, PolicyEvent.Failed({ detail: "too many pending connections" })))
          )
        }
        if (e._tag === "ListenerFailed") return Queue.offer(inbox, PolicyEvent.Failed({ detail: e.detail }))
        fds.set(e.conn.id, e.conn.fd)
        return Queue.offer(inbox, PolicyEvent.Accepted({ id: e.conn.id, listener: e.conn.listener }))
      }),
      Effect.forever,
      Effect.interruptible,
      Effect.forkScoped
    )
    yield* Queue.take(options.signals).pipe(
      Effect.flatMap((signal) => Queue.offer(inbox, PolicyEvent.Signal({ signal }))),
      Effect.forever,
      Effect.interruptible,
      Effect.forkScoped
    )

    const watch = (id: number, fd: number) =>
      classifier.classify({ id, fd }).pipe(
        Effect.map((result) => PolicyEvent.Classified({ id, result })),
        Effect.catchAll((e) => Effect.succeed(PolicyEvent.Failed({ detail: `classifier: ${e.message}` }))),
        Effect.raceFirst(Effect.as(Effect.sleep(options.holdTimeout), PolicyEvent.HoldTimeout({ id }))),
        Effect.flatMap((e) => Queue.offer(inbox, e)),
        Effect.interruptible
      )

    let state = initialState
    for (;;) {
      const event = yield* Queue.take(inbox)
      if (event._tag === "Accepted") {
        yield* Metric.increment(Metric.tagged(Metrics.connectionsAccepted, "listener", event.listener))
        yield* Effect.logDebug(`Accepted connection on ${event.listener} listener: ${fds.get(event.id) ?? "?"}`)
      }
      const [next, decisions] = step(policy, state, event)
      state = next
      for (const d of decisions) {
        switch (d._tag) {
          case "Hold": {
            const fd = fds.get(d.id)
            if (fd !== undefined) yield* FiberMap.run(watchers, d.id, watch(d.id, fd))
            else yield* Queue.offer(inbox, PolicyEvent.Failed({ detail: `no descriptor for connection ${d.id}` }))
            break
          }
          case "Drop":
            yield* FiberMap.remove(watchers, d.id)
            yield* source.drop(d.id)
            yield* Effect.logDebug(`TCP client closed connection, closing file descriptor ${fds.get(d.id) ?? "?"}`)
            fds.delete(d.id)
            yield* Metric.increment(Metrics.probesAbsorbed)
            break
          case "Activate": {
            const now = yield* Clock.currentTimeMillis
            yield* Metric.increment(Metric.tagged(Metrics.activations, "reason", d.reason))
            return {
              _tag: "Activate",
              reason: d.reason,
              detail: d.detail,
              trigger: d.trigger,
              absorbed: state.absorbed,
              waitedMs: now - startedAt
            } satisfies ActivationResult
          }
          case "Exit":
            return { _tag: "Exit", code: d.code, detail: d.detail } satisfies ActivationResult
        }
      }
    }
  }).pipe(Effect.scoped)
