/**
 * The process resolver cache. Entries are keyed by (pid, start time), bounded by count and bytes (LRU),
 * and carry the process facts, a link to the parent incarnation and the whole tracer metadata. A watcher
 * step (`scan`) rescans /proc, turns the difference into exec/fork/exit events, drops exited entries and
 * retries pending tracer-metadata lookups on their backoff schedule (tracers often publish after start).
 *
 * State is owned here and only replaced, never mutated in place: an entry handed out stays valid.
 */
import {
  Clock,
  Context,
  Effect,
  Either,
  Metric,
  MetricLabel,
  Option,
  PubSub,
  type Queue,
  type Scope,
  Stream
} from "effect"
import { scrubArgs } from "./ArgsScrubber.js"
import { type ProcFsError, ProcessGone, type ProcReadError, type TracerMetadataDiscoveryError } from "./errors.js"
import { BoundedLru } from "./Lru.js"
import * as M from "./metrics.js"
import { ProcFs, type ProcFsShape } from "./ProcFs.js"
import { entryBytes, keyOf, type ProcessEntry, type ProcessFacts, type ProcessKey, type TracerProvenance } from "./ProcessEntry.js"
import type { ProcessEvent } from "./ProcessEvent.js"
import { parseContainerId } from "./procParsers.js"
import type { ResolverConfig } from "./ResolverConfig.js"
import { retryDelayMillis } from "./RetryPolicy.js"
import { diffScan, type Observation, type ScanChange } from "./ScanDiff.js"
import { type DiscoveredTracerMetadata, discoverTracerMetadata } from "./TracerMetadataDiscovery.js"

export interface ProcessResolverShape {
  /**
   * The entry of the process now running as `pid`: from the cache when known, else resolved from /proc
   * (facts, parent link, tracer metadata) and cached. The entry's `tracer` holds the whole TracerMetadata
   * when the process published one; `facts.env` the DD_* variables when environ reading is on.
   */
  readonly resolve: (pid: number) => Effect.Effect<ProcessEntry, ProcReadError>
  /**
   * Like `resolve`, but first reads the pid's start time (one small /proc read), so a pid reused since it was
   * cached never yields the previous process's entry — for callers without a watcher keeping the cache current.
   */
  readonly resolveCurrent: (pid: number) => Effect.Effect<ProcessEntry, ProcReadError>
  /** Cache only: the current entry for `pid`, if cached. */
  readonly lookup: (pid: number) => Effect.Effect<Option.Option<ProcessEntry>>
  /** Cache only: the entry of exactly this incarnation. */
  readonly get: (key: ProcessKey) => Effect.Effect<Option.Option<ProcessEntry>>
  /** Parent first, up to `maxAncestors`; parents missing from the cache are resolved if still running. */
  readonly ancestors: (entry: ProcessEntry) => Effect.Effect<ReadonlyArray<ProcessEntry>>
  /** A snapshot of the cached entries, least recently used first. */
  readonly entries: Effect.Effect<ReadonlyArray<ProcessEntry>>
  /** One watcher step: rescan /proc, publish and return the events. The first scan is a silent snapshot. */
  readonly scan: Effect.Effect<ReadonlyArray<ProcessEvent>, ProcFsError>
  /** Scans every `interval` until interrupted; a failed scan is logged and counted, never fatal. */
  readonly watch: Effect.Effect<never>
  /** A subscription to the events published from now on (bounded; see `eventBuffer`). */
  readonly subscribe: Effect.Effect<Queue.Dequeue<ProcessEvent>, never, Scope.Scope>
  /** The events as a stream (subscribes when the stream starts). */
  readonly events: Stream.Stream<ProcessEvent>
}

export class ProcessResolver extends Context.Tag("dd-agent-effect/ProcessResolver")<
  ProcessResolver,
  ProcessResolverShape
>() {}

const errorTag = (e: TracerMetadataDiscoveryError): string => e._tag

/** Builds a resolver over `procFs`; the event hub lives in the given scope. */
export const make = (config: ResolverConfig): Effect.Effect<ProcessResolverShape, never, ProcFs | Scope.Scope> =>
  Effect.gen(function*() {
    const procFs: ProcFsShape = yield* ProcFs
    const hub = yield* Effect.acquireRelease(PubSub.dropping<ProcessEvent>(config.eventBuffer), PubSub.shutdown)
    const cache = new BoundedLru<string, ProcessEntry>({ maxEntries: config.maxEntries, maxBytes: config.maxBytes })
    const byPid = new Map<number, string>()
    let seen: Map<number, Observation> | undefined // undefined until the first scan

    const store = (entry: ProcessEntry) =>
      Effect.sync(() => {
        const k = keyOf(entry.key.pid, entry.key.startTime)
        const evicted = cache.set(k, entry, entryBytes(entry))
        byPid.set(entry.key.pid, k)
        for (const [ek, ev] of evicted) if (byPid.get(ev.key.pid) === ek) byPid.delete(ev.key.pid)
        if (evicted.length > 0) M.cacheEvictions.unsafeUpdate(evicted.length, [])
        M.cacheEntries.unsafeUpdate(cache.size, [])
        M.cacheBytes.unsafeUpdate(cache.totalBytes, [])
      })
    const drop = (key: ProcessKey) =>
      Effect.sync(() => {
        const k = keyOf(key.pid, key.startTime)
        const old = cache.delete(k)
        if (byPid.get(key.pid) === k) byPid.delete(key.pid)
        M.cacheEntries.unsafeUpdate(cache.size, [])
        M.cacheBytes.unsafeUpdate(cache.totalBytes, [])
        return Option.fromNullable(old)
      })
    const cachedByPid = (pid: number): ProcessEntry | undefined => {
      const k = byPid.get(pid)
      return k === undefined ? undefined : cache.get(k)
    }

    const optional = <A>(eff: Effect.Effect<Option.Option<A>, ProcReadError>) =>
      Effect.catchAll(eff, () => Effect.succeed(Option.none<A>()))
    const kernelThreadFacts = (obs: Observation): Effect.Effect<ProcessFacts> =>
      Effect.map(optional(Effect.map(procFs.status(obs.pid), Option.some)), (credentials) => ({
        ppid: obs.ppid,
        comm: obs.comm,
        exe: Option.none(),
        cwd: Option.none(),
        cmdline: [],
        credentials,
        containerId: Option.none(),
        env: Option.none()
      }))
    const readFacts = (obs: Observation): Effect.Effect<ProcessFacts> =>
      obs.kernelThread === true ? kernelThreadFacts(obs) : Effect.all({
        exe: optional(procFs.exe(obs.pid)),
        cwd: optional(procFs.cwd(obs.pid)),
        cmdline: procFs.cmdline(obs.pid).pipe(
          Effect.map((argv) => (config.argsScrubber === undefined ? argv : scrubArgs(config.argsScrubber, argv))),
          Effect.orElseSucceed((): ReadonlyArray<string> => [])
        ),
        credentials: optional(Effect.map(procFs.status(obs.pid), Option.some)),
        containerId: optional(Effect.map(procFs.cgroup(obs.pid), (t) => Option.fromNullable(parseContainerId(t)))),
        env: config.readEnviron ? optional(Effect.map(procFs.environ(obs.pid), Option.some)) : Effect.succeed(Option.none())
      }).pipe(Effect.map((f) => ({ ppid: obs.ppid, comm: obs.comm, ...f })))

    /** The parent incarnation: pid `ppid` started no later than the child (else the pid was reused). */
    const parentKey = (obs: Observation): Effect.Effect<Option.Option<ProcessKey>> => {
      if (obs.ppid <= 0) return Effect.succeed(Option.none())
      const cached = cachedByPid(obs.ppid)
      if (cached !== undefined && cached.key.startTime <= obs.startTime) return Effect.succeed(Option.some(cached.key))
      const s = seen?.get(obs.ppid)
      if (s !== undefined && s.startTime <= obs.startTime) {
        return Effect.succeed(Option.some({ pid: s.pid, startTime: s.startTime }))
      }
      return procFs.stat(obs.ppid).pipe(
        Effect.map((p) => p.startTime <= obs.startTime ? Option.some({ pid: p.pid, startTime: p.startTime }) : Option.none()),
        Effect.orElseSucceed(() => Option.none<ProcessKey>())
      )
    }

    const provenanceOf = (d: DiscoveredTracerMetadata, parent: Option.Option<ProcessKey>): TracerProvenance => {
      const p = Option.flatMap(parent, (k) => Option.fromNullable(cache.peek(keyOf(k.pid, k.startTime))))
      const inherited = Option.isSome(p) && Option.isSome(p.value.provenance) &&
        p.value.provenance.value.source.inode === d.source.inode
      return {
        source: d.source,
        issues: d.issues,
        unknownKeys: d.unknownKeys,
        candidates: d.candidates,
        inheritedFrom: inherited ? Option.some(p.value.key.pid) : Option.none()
      }
    }

    /** Applies one discovery outcome to an entry (pure except for metrics). */
    const applyDiscovery = (
      entry: ProcessEntry,
      outcome: Either.Either<DiscoveredTracerMetadata, TracerMetadataDiscoveryError>,
      now: number,
      attempt: number
    ): ProcessEntry => {
      const retryAt = (lastError: string) =>
        Option.some({ attempt, dueAt: now + retryDelayMillis(config.retry, attempt), lastError })
      if (Either.isLeft(outcome)) {
        M.tracerMetadataFailures.unsafeUpdate(1, [MetricLabel.make("error", errorTag(outcome.left))])
        return { ...entry, retry: retryAt(errorTag(outcome.left)) }
      }
      const d = outcome.right
      const found = provenanceOf(d, entry.parent)
      // Still the memfd inherited at fork, even once the parent is gone from the cache.
      const known = Option.getOrUndefined(entry.provenance)
      const provenance = Option.isNone(found.inheritedFrom) && known !== undefined && Option.isSome(known.inheritedFrom) &&
          known.source.inode === d.source.inode
        ? { ...found, inheritedFrom: known.inheritedFrom }
        : found
      // schema_version is recorded, never branched on: unknown versions are accepted leniently.
      M.tracerMetadataFound.unsafeUpdate(1, [MetricLabel.make("schema_version", String(d.metadata.schema_version))])
      if (d.issues.length > 0) M.tracerFieldIssues.unsafeUpdate(d.issues.length, [])
      // A memfd inherited at fork is the parent's: the child inherits nothing it did not publish itself. Its
      // entry keeps the link (provenance.inheritedFrom, beside `parent`) and lookups go on until it publishes.
      if (Option.isSome(provenance.inheritedFrom)) {
        return { ...entry, tracer: Option.none(), provenance: Option.some(provenance), retry: retryAt("InheritedAtFork") }
      }
      return { ...entry, tracer: Option.some(d.metadata), provenance: Option.some(provenance), retry: Option.none() }
    }

    /**
     * Discovery for one incarnation: the fds are read through the pid, so the start time is checked again
     * afterwards; metadata read from a process that replaced this one under the same pid is discarded.
     */
    const discover = (key: ProcessKey) =>
      Effect.gen(function*() {
        const outcome = yield* Effect.either(discoverTracerMetadata(procFs, key.pid, config.discovery))
        if (Either.isLeft(outcome)) return outcome
        const still = yield* Effect.either(procFs.stat(key.pid))
        return Either.isRight(still) && still.right.startTime === key.startTime
          ? outcome
          : Either.left(new ProcessGone({ pid: key.pid, path: `${procFs.root}/${key.pid}/stat` }))
      })

    const resolveObservation = (obs: Observation): Effect.Effect<ProcessEntry> =>
      Effect.gen(function*() {
        const facts = yield* readFacts(obs)
        const parent = yield* parentKey(obs)
        const now = yield* Clock.currentTimeMillis
        const base: ProcessEntry = {
          key: { pid: obs.pid, startTime: obs.startTime },
          facts,
          parent,
          tracer: Option.none(),
          provenance: Option.none(),
          retry: Option.none(),
          resolvedAt: now
        }
        // Kernel threads have no fds of their own: nothing to discover, nothing to retry.
        if (obs.kernelThread === true) {
          yield* store(base)
          return base
        }
        const outcome = yield* discover(base.key)
        // Telling inherited metadata apart needs the parent's: resolve a running parent first when needed.
        if (Either.isRight(outcome) && Option.isSome(parent) && cache.peek(keyOf(parent.value.pid, parent.value.startTime)) === undefined) {
          yield* Effect.option(resolveCurrent(parent.value.pid))
        }
        const entry = applyDiscovery(base, outcome, now, 0)
        yield* store(entry)
        return entry
      })

    const observe = (pid: number) =>
      Effect.map(procFs.stat(pid), (s): Observation => ({
        pid,
        ppid: s.ppid,
        startTime: s.startTime,
        comm: s.comm,
        kernelThread: s.kernelThread
      }))

    const resolve = (pid: number): Effect.Effect<ProcessEntry, ProcReadError> =>
      Effect.suspend(() => {
        const hit = cachedByPid(pid)
        if (hit !== undefined) {
          M.cacheHits.unsafeUpdate(1, [])
          return Effect.succeed(hit)
        }
        M.cacheMisses.unsafeUpdate(1, [])
        return Effect.flatMap(observe(pid), resolveObservation)
      })

    const resolveCurrent = (pid: number): Effect.Effect<ProcessEntry, ProcReadError> =>
      Effect.flatMap(observe(pid), (obs) => {
        const hit = cache.get(keyOf(obs.pid, obs.startTime))
        if (hit !== undefined) {
          M.cacheHits.unsafeUpdate(1, [])
          return Effect.succeed(hit)
        }
        M.cacheMisses.unsafeUpdate(1, [])
        return resolveObservation(obs)
      })

    const ancestors = (entry: ProcessEntry): Effect.Effect<ReadonlyArray<ProcessEntry>> =>
      Effect.gen(function*() {
        const out: Array<ProcessEntry> = []
        let next = entry.parent
        while (Option.isSome(next) && out.length < config.maxAncestors) {
          const k = next.value
          let parent = cache.get(keyOf(k.pid, k.startTime))
          if (parent === undefined) {
            const resolved = yield* Effect.option(resolve(k.pid))
            // The same pid may now be another process: only the exact incarnation counts.
            if (Option.isNone(resolved) || resolved.value.key.startTime !== k.startTime) break
            parent = resolved.value
          }
          out.push(parent)
          next = parent.parent
        }
        return out
      })

    const event = (
      type: ProcessEvent["type"],
      obs: Observation,
      entry: Option.Option<ProcessEntry>,
      now: number
    ): ProcessEvent => ({ type, timestamp: now, key: { pid: obs.pid, startTime: obs.startTime }, ppid: obs.ppid, comm: obs.comm, entry })

    const applyChange = (change: ScanChange, now: number): Effect.Effect<ProcessEvent> => {
      const obs = change.process
      switch (change._tag) {
        case "Exited":
          return Effect.map(drop(obs), (last) => event("exit", obs, last, now))
        case "Forked":
          return Effect.map(resolveObservation(obs), (e) => event("fork", obs, Option.some(e), now))
        case "Execed":
          // A known incarnation that exec'd loses its old image's metadata: resolved again from scratch.
          return Effect.map(resolveObservation(obs), (e) => event("exec", obs, Option.some(e), now))
      }
    }

    const sameSource = (a: Option.Option<TracerProvenance>, b: Option.Option<TracerProvenance>) =>
      Option.isSome(a) && Option.isSome(b) && a.value.source.inode === b.value.source.inode &&
      a.value.source.mtimeNs === b.value.source.mtimeNs

    /** Retries due lookups; returns TracerMetadataFound events for metadata that appeared or changed. */
    const retryDue = (alive: ReadonlyMap<number, Observation>, now: number) =>
      Effect.gen(function*() {
        const due = cache.values().filter((e) =>
          Option.isSome(e.retry) && e.retry.value.dueAt <= now && alive.get(e.key.pid)?.startTime === e.key.startTime
        )
        const found = yield* Effect.forEach(due, (entry) =>
          Effect.gen(function*() {
            const outcome = yield* discover(entry.key)
            const attempt = Option.getOrElse(Option.map(entry.retry, (r) => r.attempt + 1), () => 0)
            const next = applyDiscovery(entry, outcome, now, attempt)
            const current = cache.peek(keyOf(entry.key.pid, entry.key.startTime))
            if (current !== entry) return Option.none<ProcessEvent>() // replaced meanwhile (exec)
            if (Either.isRight(outcome) && !sameSource(entry.provenance, next.provenance)) {
              yield* store(next)
              return Option.some(event("tracer_metadata_found", alive.get(entry.key.pid)!, Option.some(next), now))
            }
            // Unchanged source or still failing: keep the known metadata, advance the schedule.
            yield* store({ ...entry, retry: next.retry })
            return Option.none<ProcessEvent>()
          }), { concurrency: config.concurrency })
        return found.flatMap(Option.toArray)
      })

    const scanOnce = Effect.gen(function*() {
      const pids = yield* procFs.pids
      const observed = yield* Effect.forEach(pids, (pid) => Effect.option(observe(pid)), {
        concurrency: config.concurrency
      })
      const current = observed.flatMap(Option.toArray)
      const now = yield* Clock.currentTimeMillis
      const alive = new Map(current.map((o) => [o.pid, o]))
      const previous = seen
      seen = alive
      M.scans.unsafeUpdate(1, [])
      if (previous === undefined) {
        // First scan: a snapshot. Every process is resolved (existing processes are enriched too), silently.
        yield* Effect.forEach(current, (o) => {
          const known = cache.peek(keyOf(o.pid, o.startTime))
          return known === undefined ? resolveObservation(o) : Effect.succeed(known)
        }, { concurrency: config.concurrency, discard: true })
        return []
      }
      const changes = diffScan(previous, current)
      const happened = yield* Effect.forEach(changes, (c) => applyChange(c, now), { concurrency: config.concurrency })
      const found = yield* retryDue(alive, now)
      const all = [...happened, ...found]
      for (const e of all) {
        M.events.unsafeUpdate(1, [MetricLabel.make("type", e.type)])
        if (!(yield* PubSub.publish(hub, e))) M.eventsDropped.unsafeUpdate(1, [])
      }
      return all
    })
    const scan = Metric.trackDuration(scanOnce, M.scanDuration)

    const watch: Effect.Effect<never> = scan.pipe(
      Effect.catchAll((e) =>
        Effect.zipRight(Effect.sync(() => M.scanFailures.unsafeUpdate(1, [])), Effect.logWarning("process scan failed", e))
      ),
      Effect.zipRight(Effect.sleep(config.interval)),
      Effect.forever
    )

    return {
      resolve,
      resolveCurrent,
      lookup: (pid) => Effect.sync(() => Option.fromNullable(cachedByPid(pid))),
      get: (key) => Effect.sync(() => Option.fromNullable(cache.get(keyOf(key.pid, key.startTime)))),
      ancestors,
      entries: Effect.sync(() => cache.values()),
      scan,
      watch,
      subscribe: PubSub.subscribe(hub),
      events: Stream.fromPubSub(hub)
    } satisfies ProcessResolverShape
  })
