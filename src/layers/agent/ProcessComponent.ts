/**
 * The agent's process resolver: the cache fed by its /proc watcher, with every event written as a JSON
 * line to the configured file (appended; the file is owned and closed by this component's scope).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Context, Duration, Effect, Layer, Queue, Ref } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"
import { ProcessResolver } from "../../services/process/ProcessResolver.js"
import { processEventToJson } from "../../services/process/Serializers.js"
import * as ProcessResolverLayer from "../process/ProcessResolverLayer.js"

export interface ProcessStatus {
  readonly processes: number
  readonly events: Readonly<Record<string, number>>
  readonly eventsFile: string | undefined
}

export const makeProcessComponent = (settings: AgentSettings["process"]) =>
  Effect.gen(function*() {
    const ctx = yield* Layer.build(
      ProcessResolverLayer.layerLive({ procRoot: settings.procRoot, interval: Duration.millis(settings.intervalMs), readEnviron: settings.readEnviron })
    )
    const resolver = Context.get(ctx, ProcessResolver)
    const counts = yield* Ref.make<Record<string, number>>({})
    const out = settings.eventsFile === undefined ? undefined : yield* Effect.acquireRelease(
      Effect.sync(() => {
        Fs.mkdirSync(Path.dirname(Path.resolve(settings.eventsFile!)), { recursive: true })
        return Fs.openSync(settings.eventsFile!, "a")
      }),
      (fd) => Effect.sync(() => Fs.closeSync(fd))
    )
    const events = yield* resolver.subscribe
    yield* Effect.gen(function*() {
      for (;;) {
        const batch = yield* Queue.takeBetween(events, 1, 1024)
        let text = ""
        for (const ev of batch) text += JSON.stringify(processEventToJson(ev)) + "\n"
        if (out !== undefined) Fs.writeSync(out, text)
        yield* Ref.update(counts, (c) => {
          const next = { ...c }
          for (const ev of batch) next[ev.type] = (next[ev.type] ?? 0) + 1
          return next
        })
      }
    }).pipe(Effect.interruptible, Effect.forkScoped)
    const status = Effect.gen(function*() {
      return {
        processes: (yield* resolver.entries).length,
        events: yield* Ref.get(counts),
        eventsFile: settings.eventsFile
      } satisfies ProcessStatus
    })
    return { resolver, resolverContext: ctx, status }
  })
