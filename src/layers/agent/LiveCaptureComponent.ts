/**
 * The agent's live capture: the probes of `dynamic_instrumentation.probes` applied to every Node.js
 * process whose service (named through the process resolver) matches — the ones running at start and
 * the ones that start later (the resolver's exec/fork events) — and reconciled whenever the desired
 * probe list changes (a probe that leaves it is removed from every process; a process left with no probe
 * is detached). Hits go through the snapshot pipeline (encoder, uploader). Status: each probe's state
 * per process (installed, pending until its file loads, error), hits and errors.
 */
import { Effect, FiberMap, Layer, Option, Queue, Ref, Stream, SubscriptionRef } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"
import type { ConfiguredProbe } from "../../services/debugger/live/ProbeConfig.js"
import { reconcile } from "../../services/debugger/live/ProbeConfig.js"
import type { LiveProbe } from "../../services/debugger/live/ProbeSpec.js"
import { looksLikeNode } from "../../services/debugger/live/ProcSockets.js"
import { SnapshotPipeline } from "../../services/debugger/Pipeline.js"
import { ProcessInfo } from "../../services/debugger/ProcessInfo.js"
import { layerUnlimited } from "../../services/debugger/RateLimiter.js"
import { ProcessResolver } from "../../services/process/ProcessResolver.js"
import type { LiveSession, ProbeState } from "../debugger/live/LiveSession.js"
import { attach } from "../debugger/live/LiveSession.js"
import { AgentComponents } from "./AgentComponents.js"
import { layerSnapshotPipeline } from "./SnapshotComponent.js"

export interface LiveCaptureStatus {
  readonly state: "running"
  readonly probes: ReadonlyArray<{
    readonly id: string
    readonly service: string
    readonly file: string
    readonly line: number
    readonly processes: ReadonlyArray<{ readonly pid: number } & Pick<ProbeState, "status" | "hits" | "errors" | "lastError">>
  }>
  /** Processes of a probed service that could not be attached to, with the reason. */
  readonly attachErrors: ReadonlyArray<{ readonly pid: number; readonly service: string; readonly error: string }>
}

interface Attached {
  readonly service: string
  readonly session: LiveSession
  readonly installed: Map<string, LiveProbe>
}

/**
 * Runs until its scope closes; `desired` is the probe list over time (the configuration's, or a test's).
 * Needs the resolver (with its watcher), process identities, the snapshot pipeline and AgentComponents.
 */
export const run = (desired: SubscriptionRef.SubscriptionRef<ReadonlyArray<ConfiguredProbe>>) =>
  Effect.gen(function*() {
    const resolver = yield* ProcessResolver
    const info = yield* ProcessInfo
    const pipeline = yield* SnapshotPipeline
    const components = yield* AgentComponents
    const attached = new Map<number, Attached>()
    const attachErrors = yield* Ref.make(new Map<number, { service: string; error: string }>())
    const sessions = yield* FiberMap.make<number>()
    const lock = yield* Effect.makeSemaphore(1)

    /** Brings one attached process to the desired probes of its service. */
    const apply = (pid: number, a: Attached, probes: ReadonlyArray<ConfiguredProbe>) =>
      Effect.gen(function*() {
        const plan = reconcile(a.service, probes, a.installed)
        for (const id of plan.remove) {
          yield* a.session.remove(id)
          a.installed.delete(id)
        }
        for (const p of plan.install) {
          a.installed.set(p.id, p)
          yield* a.session.installWhenLoaded(p).pipe(
            Effect.catchAll((e) => Effect.logWarning("live capture: probe not set", e.message).pipe(Effect.annotateLogs({ pid, probe: p.id })))
          )
        }
        if (a.installed.size === 0) yield* FiberMap.remove(sessions, pid)
      })

    const session = (pid: number, service: string) =>
      Effect.scoped(Effect.gen(function*() {
        const s = yield* attach(pid)
        const a: Attached = { service, session: s, installed: new Map() }
        attached.set(pid, a)
        yield* Effect.addFinalizer(() => Effect.sync(() => attached.delete(pid)))
        yield* lock.withPermits(1)(Effect.flatMap(SubscriptionRef.get(desired), (ps) => apply(pid, a, ps)))
        const forward = Effect.forever(Effect.flatMap(Queue.take(s.hits), (hit) =>
          hit._tag === "ProbeError"
            ? Effect.logWarning("live capture: probe error", hit.message).pipe(Effect.annotateLogs({ pid, probe: hit.probe.id }))
            : Effect.asVoid(pipeline.submit(hit.event))))
        yield* Effect.raceFirst(forward, s.closed)
      })).pipe(
        Effect.catchAll((e) => Ref.update(attachErrors, (m) => new Map(m).set(pid, { service, error: e.message }))),
        Effect.ensuring(Effect.sync(() => attached.delete(pid)))
      )

    /** Attaches to `pid` when it is a Node.js process of a probed service (once per pid). */
    const consider = (pid: number) =>
      Effect.gen(function*() {
        if (attached.has(pid) || (yield* FiberMap.has(sessions, pid))) return
        if ((yield* Ref.get(attachErrors)).has(pid)) return
        const entry = yield* Effect.option(resolver.resolveCurrent(pid))
        if (Option.isNone(entry) || !looksLikeNode(Option.getOrElse(entry.value.facts.exe, () => entry.value.facts.comm))) return
        const identity = yield* info.lookup(pid)
        if (Option.isNone(identity)) return
        const service = identity.value.service
        if (!(yield* SubscriptionRef.get(desired)).some((d) => d.service === service)) return
        yield* FiberMap.run(sessions, pid, session(pid, service))
      })

    const considerAll = Effect.flatMap(resolver.entries, (es) => Effect.forEach(es, (e) => consider(e.key.pid), { discard: true }))

    // Processes as they start (or exec into Node).
    const events = yield* resolver.subscribe
    yield* Effect.forever(Effect.flatMap(Queue.take(events), (ev) =>
      ev.type === "exec" || ev.type === "fork" || ev.type === "tracer_metadata_found" ? consider(ev.key.pid) : Effect.void
    )).pipe(Effect.interruptible, Effect.forkScoped)
    // The desired probes over time (the first value included): reconcile every attached process, then look
    // for processes of newly probed services.
    yield* desired.changes.pipe(
      Stream.runForEach((probes) =>
        Effect.gen(function*() {
          yield* Ref.set(attachErrors, new Map())
          yield* lock.withPermits(1)(Effect.forEach([...attached], ([pid, a]) => apply(pid, a, probes), { discard: true }))
          yield* considerAll
        })),
      Effect.interruptible,
      Effect.forkScoped
    )

    yield* components.register("live_capture", Effect.gen(function*() {
      const probes = yield* SubscriptionRef.get(desired)
      const perPid = yield* Effect.forEach([...attached], ([pid, a]) => Effect.map(a.session.states, (st) => [pid, st] as const))
      return {
        state: "running" as const,
        probes: probes.map((d) => ({
          id: d.probe.id,
          service: d.service,
          file: d.probe.file,
          line: d.probe.line,
          processes: perPid.flatMap(([pid, states]) =>
            states.filter((s) => s.id === d.probe.id).map((s) => ({ pid, status: s.status, hits: s.hits, errors: s.errors, lastError: s.lastError })))
        })),
        attachErrors: [...(yield* Ref.get(attachErrors))].map(([pid, e]) => ({ pid, ...e }))
      } satisfies LiveCaptureStatus
    }))
  })

/** The component over a fixed probe list: its own watching resolver, identities and snapshot pipeline. */
export const layer = (
  probes: ReadonlyArray<ConfiguredProbe>,
  settings: AgentSettings["debugger"],
  resolver: Layer.Layer<ProcessResolver>,
  hostname: string
) => {
  // Rates are applied in the target: a rate-limited hit never leaves it.
  const pipeline = layerSnapshotPipeline(settings, hostname, layerUnlimited)
  return Layer.scopedDiscard(Effect.flatMap(SubscriptionRef.make(probes), run)).pipe(
    Layer.provide(pipeline),
    Layer.provide(resolver)
  )
}
