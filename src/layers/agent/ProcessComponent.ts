/**
 * The agent's process resolver as a layer: the cache fed by its /proc watcher (it provides `ProcessResolver`
 * to the snapshot component), with every event written as a JSON line to the configured file, rotated by
 * size. The watcher, the event writer and the file live and close with the layer.
 */
import { Duration, Effect, Either, Layer, Queue, Ref } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"
import { makeArgsScrubber } from "../../services/process/ArgsScrubber.js"
import { ProcessResolver } from "../../services/process/ProcessResolver.js"
import { processEventToJson } from "../../services/process/Serializers.js"
import * as ProcessResolverLayer from "../process/ProcessResolverLayer.js"
import { makeRotatingFile } from "../RotatingFile.js"
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
    yield* Effect.gen(function*() {
      for (;;) {
        const batch = yield* Queue.takeBetween(events, 1, 1024)
        let text = ""
        for (const ev of batch) text += JSON.stringify(processEventToJson(ev)) + "\n"
        if (out !== undefined) yield* out.write(text)
        yield* Ref.update(counts, (c) => {
          const next = { ...c }
          for (const ev of batch) next[ev.type] = (next[ev.type] ?? 0) + 1
          return next
        })
      }
    }).pipe(
      Effect.catchAll((e) => Effect.logError("process events are no longer written", e.message).pipe(Effect.zipRight(Ref.set(problem, e.message)))),
      Effect.interruptible,
      Effect.forkScoped
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

/** The process component; provides the watching `ProcessResolver` and needs `AgentComponents`. */
export const layer = (settings: AgentSettings["process"]) =>
  Layer.scopedDiscard(make(settings)).pipe(
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
