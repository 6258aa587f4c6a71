/**
 * ProcessInfo adapters: a static table (tests, and the CLI when identities are given on the command
 * line) and a /proc reader used when no process resolver is wired in: it reads the target's environment
 * and executable and applies the same precedence rule (without tracer metadata, which the resolver owns).
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import { Cache, Duration, Effect, Layer, Option } from "effect"
import type { ProcessFacts, ProcessIdentity } from "../../services/debugger/ProcessInfo.js"
import { ProcessInfo, resolveProcessIdentity } from "../../services/debugger/ProcessInfo.js"
import { procReadError } from "../../services/process/errors.js"

/** A fixed pid → facts table; pids not in it resolve through `fallback` (if any). */
export const ProcessInfoStatic = (
  table: ReadonlyMap<number, ProcessFacts> | Readonly<Record<number, ProcessFacts>>,
  fallback?: ProcessFacts
) => {
  const get = (pid: number): ProcessFacts | undefined =>
    table instanceof Map ? table.get(pid) : (table as Readonly<Record<number, ProcessFacts>>)[pid]
  return Layer.succeed(
    ProcessInfo,
    ProcessInfo.of({
      lookup: (pid) =>
        Effect.sync((): Option.Option<ProcessIdentity> => {
          const facts = get(pid) ?? fallback
          return facts === undefined ? Option.none() : resolveProcessIdentity(facts)
        })
    })
  )
}

/** Parses a NUL-separated environ block, keeping only the DD_* keys the identity uses. */
export const parseEnviron = (raw: string): NonNullable<ProcessFacts["env"]> => {
  const env: { DD_SERVICE?: string; DD_ENV?: string; DD_VERSION?: string } = {}
  for (const kv of raw.split("\0")) {
    const eq = kv.indexOf("=")
    if (eq <= 0) continue
    const k = kv.slice(0, eq)
    if (k === "DD_SERVICE" || k === "DD_ENV" || k === "DD_VERSION") env[k] = kv.slice(eq + 1)
  }
  return env
}

/**
 * One /proc read of the target: `None` when the file is gone (the process exited, or a kernel thread has no
 * exe); any other failure (permission, I/O) is logged with its path and also leaves the fact unknown, since a
 * lookup has no failure channel and the identity falls back to what else is known.
 */
const readOptional = <A>(pid: number, path: string, read: () => Promise<A>): Effect.Effect<Option.Option<A>> =>
  Effect.tryPromise({ try: read, catch: procReadError(pid, path) }).pipe(
    Effect.map(Option.some),
    Effect.catchAll((error) =>
      error._tag === "ProcessGone"
        ? Effect.succeed(Option.none())
        : Effect.as(Effect.logWarning(`process identity: ${error.message}`), Option.none())
    )
  )

const readFacts = (procRoot: string, pid: number): Effect.Effect<ProcessFacts> =>
  Effect.gen(function*() {
    const environPath = `${procRoot}/${pid}/environ`
    const exePath = `${procRoot}/${pid}/exe`
    const environ = yield* readOptional(pid, environPath, () => fs.readFile(environPath, "latin1"))
    const exe = yield* readOptional(pid, exePath, () => fs.readlink(exePath))
    return {
      env: Option.match(environ, { onNone: () => undefined, onSome: parseEnviron }),
      exe: Option.getOrUndefined(exe),
      host: os.hostname()
    }
  })

/** Reads /proc/<pid>/environ and /proc/<pid>/exe; results cached per pid for a minute (bounded). */
export const ProcessInfoProc = (procRoot = "/proc") =>
  Layer.effect(
    ProcessInfo,
    Effect.gen(function*() {
      const cache = yield* Cache.make({
        capacity: 4096,
        timeToLive: Duration.minutes(1),
        lookup: (pid: number) => Effect.map(readFacts(procRoot, pid), resolveProcessIdentity)
      })
      return ProcessInfo.of({ lookup: (pid) => cache.get(pid) })
    })
  )

/** Pids in `table` resolve from it; the others through the ProcessInfo provided to this layer. */
export const ProcessInfoTableOver = (table: ReadonlyMap<number, ProcessFacts>) =>
  Layer.effect(
    ProcessInfo,
    Effect.map(ProcessInfo, (next) =>
      ProcessInfo.of({
        lookup: (pid) => {
          const facts = table.get(pid)
          return facts === undefined ? next.lookup(pid) : Effect.succeed(resolveProcessIdentity(facts))
        }
      }))
  )
