/**
 * The snapshot encoder's `ProcessInfo` answered by the process resolver cache: the target process's tracer
 * metadata (the whole structure the resolver keeps), then its DD_SERVICE/DD_ENV/DD_VERSION, then its
 * executable name — the debugger's precedence rule over what the resolver already holds.
 */
import * as Os from "node:os"
import { Effect, Layer, Option } from "effect"
import { ProcessInfo, resolveProcessIdentity } from "../../services/debugger/ProcessInfo.js"
import type { ProcessEntry } from "../../services/process/ProcessEntry.js"
import { ProcessResolver } from "../../services/process/ProcessResolver.js"

/** What the precedence rule needs from a resolver entry. */
export const factsOfEntry = (entry: ProcessEntry, host: string) => {
  const tracer = Option.getOrUndefined(entry.tracer)
  const env = Option.getOrUndefined(entry.facts.env)
  return {
    tracer: tracer === undefined ? undefined : {
      service_name: tracer.service_name,
      service_env: tracer.service_env,
      service_version: tracer.service_version,
      hostname: tracer.hostname,
      process_tags: tracer.process_tags
    },
    env: env === undefined ? undefined : { DD_SERVICE: env.DD_SERVICE, DD_ENV: env.DD_ENV, DD_VERSION: env.DD_VERSION },
    exe: Option.getOrElse(entry.facts.exe, () => entry.facts.comm),
    host
  }
}

/** Identities from the resolver; `host` is the host name of processes whose tracer gives none. */
export const layerFromResolver = (host: string): Layer.Layer<ProcessInfo, never, ProcessResolver> => Layer.effect(
  ProcessInfo,
  Effect.gen(function*() {
    const resolver = yield* ProcessResolver
    return ProcessInfo.of({
      lookup: (pid) =>
        // The pid of a capture event may have been reused since it was cached: check the incarnation.
        resolver.resolveCurrent(pid).pipe(
          Effect.map((entry) => resolveProcessIdentity(factsOfEntry(entry, host))),
          // A process that is gone or unreadable has no identity; the encoder reports it as unknown.
          Effect.orElseSucceed(() => Option.none())
        )
    })
  })
)

/** Identities from the resolver, with this machine's host name. */
export const ProcessInfoFromResolver: Layer.Layer<ProcessInfo, never, ProcessResolver> = layerFromResolver(Os.hostname())
