/**
 * The agent's process resolver as a layer: the cache fed by its /proc watcher (it provides `ProcessResolver`
 * to the snapshot component), with every event written as a JSON line to the configured file, rotated by
 * size. The watcher, the event writer and the file live and close with the layer.
 */
import { Duration, Effect, Either, Fiber, Layer, Queue, Ref } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"
import { makeArgsScrubber } from "../../services/process/ArgsScrubber.js"
import { ProcessResolver } from "../../services/process/ProcessResolver.js"
import type { ProcessEvent } from "../../services/process/ProcessEvent.js"
import { processEventToJson } from "../../services/process/Serializers.js"
import * as ProcessResolverLayer from "../process/ProcessResolverLayer.js"
import { type FileWriteError, makeRotatingFile } from "../RotatingFile.js"
import { AgentComponents } from "./AgentComponents.js"

export interface ProcessStatus {
  readonly state: "running" | "failed"
  readonly processes: number
  readonly events: Readonly<Record<string, number>>
  readonly eventsFile: string | undefined
  /** Why events are no longer written (the resolver keeps serving). */
  readonly problem: string | undefined
}

const make = (settings: AgentSettings["process"]) =>
  Effect.gen(function*() {
    const components = yield* AgentComponents
    const resolver = yield* ProcessResolver
    const counts = yield* Ref.make<Record<string, number>>({})
    const problem = yield* Ref.make<string | undefined>(undefined)
    const out = settings.eventsFile === undefined
      ? undefined
      : yield* makeRotatingFile({ path: settings.eventsFile, maxBytes: settings.eventsFileMaxBytes, keep: settings.eventsFileKeep })
    const events = yield* resolver.subscribe
    const writeBatch = (batch: Iterable<ProcessEvent>) =>
      Effect.gen(function*() {
        let text = ""
        const byType: Record<string, number> = {}
        for (const ev of batch) {
          text += JSON.stringify(processEventToJson(ev)) + "\n"
          byType[ev.type] = (byType[ev.type] ?? 0) + 1
        }
        if (text === "") return
        if (out !== undefined) yield* out.write(text)
        yield* Ref.update(counts, (c) => {
          const next = { ...c }
          for (const [type, n] of Object.entries(byType)) next[type] = (next[type] ?? 0) + n
          return next
        })
      })
    const reportFailure = (e: FileWriteError) =>
      Effect.logError("process events are no longer written", e.message).pipe(Effect.zipRight(Ref.set(problem, e.message)))
    // Only the wait for events is interruptible: a batch once taken is written whole (the file's writes are
    // asynchronous and in order), so a stop never drops events between the queue and the file.
    const writer = yield* Effect.uninterruptibleMask((restore) =>
      restore(Queue.take(events)).pipe(
        Effect.flatMap((first) => Effect.map(Queue.takeUpTo(events, 1023), (rest) => [first, ...rest])),
        Effect.flatMap(writeBatch)
      )
    ).pipe(Effect.forever, Effect.catchAll(reportFailure), Effect.forkScoped)
    // At stop (before the subscription and the file close): the writer finishes its batch, then the events
    // published before the stop that it had not taken yet are written.
    yield* Effect.addFinalizer(() =>
      Fiber.interrupt(writer).pipe(
        Effect.zipRight(Ref.get(problem)),
        Effect.flatMap((p) => p !== undefined ? Effect.void : Queue.takeAll(events).pipe(Effect.flatMap(writeBatch))),
        Effect.catchAll(reportFailure)
      )
    )
    yield* components.register("process", Effect.gen(function*() {
      const p = yield* Ref.get(problem)
      return {
        state: p === undefined ? "running" : "failed",
        processes: (yield* resolver.entries).length,
        events: yield* Ref.get(counts),
        eventsFile: settings.eventsFile,
        problem: p
      } satisfies ProcessStatus
    }))
  })

/** The process component's event writer and status over the `ProcessResolver` it is given. */
export const layerOver = (settings: AgentSettings["process"]) => Layer.scopedDiscard(make(settings))

/** The process component; provides the watching `ProcessResolver` and needs `AgentComponents`. */
export const layer = (settings: AgentSettings["process"]) =>
  layerOver(settings).pipe(
    Layer.provideMerge(
      ProcessResolverLayer.layerLive({
        procRoot: settings.procRoot,
        interval: Duration.millis(settings.intervalMs),
        readEnviron: settings.readEnviron,
        // The words were checked when the configuration was decoded.
        argsScrubber: settings.scrubArgs === undefined ? undefined : Either.getOrThrow(makeArgsScrubber(settings.scrubArgs.customSensitiveWords))
      })
    )
  )
