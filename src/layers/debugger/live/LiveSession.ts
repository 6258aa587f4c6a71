/**
 * A live-capture session on one Node.js process: attach through its inspector, install the in-target
 * helper and a CDP binding, set probes as conditional breakpoints (one per location, carrying every probe
 * of that location), turn what the helper sends into capture events, and detach cleanly when the scope
 * closes: breakpoints removed, helper and binding removed, Debugger disabled (which also resumes a paused
 * target), socket closed. The inspector itself stays open (Node offers no way to close it from outside
 * without blocking the target while a client is connected).
 */
import type { TraceMap } from "@jridgewell/trace-mapping"
import type { Protocol } from "devtools-protocol"
import { Duration, Effect, Either, FiberSet, Option, Queue, Ref, Scope } from "effect"
import type { CaptureEvent, Frame } from "../../../services/debugger/CaptureEvent.js"
import type { AttachError, InstallError } from "../../../services/debugger/live/errors.js"
import {
  AmbiguousProbeFile,
  CdpError,
  ProbeFileNotLoaded,
  ProbeLineNotMapped
} from "../../../services/debugger/live/errors.js"
import type { FrameMapper, HitPayload } from "../../../services/debugger/live/HitPayload.js"
import { decodeHitPayload, helperLimits, logEvent, snapshotEvents } from "../../../services/debugger/live/HitPayload.js"
import type { LiveProbe } from "../../../services/debugger/live/ProbeSpec.js"
import {
  defaultGlobalLogsPerSecond,
  defaultGlobalSnapshotsPerSecond,
  rateOf
} from "../../../services/debugger/live/ProbeSpec.js"
import { matchingSources, pathEndsWith, scriptPath } from "../../../services/debugger/live/ScriptMatch.js"
import type { HelperProbe } from "../../../services/debugger/live/TargetHelper.js"
import {
  breakpointCondition,
  helperCall,
  installExpression,
  learnExpression
} from "../../../services/debugger/live/TargetHelper.js"
import type { CdpClient } from "./CdpClient.js"
import { connect } from "./CdpClient.js"
import type { InspectorTarget, LocateOptions } from "./InspectorLocator.js"
import { locateInspector } from "./InspectorLocator.js"
import { generatedLine, loadSourceMap, originalPosition, sourcesOf } from "./SourceMaps.js"

export interface LiveSessionOptions {
  /** Capture time budget per hit (default 15 ms). */
  readonly budget?: Duration.DurationInput | undefined
  readonly globalSnapshotsPerSecond?: number | undefined
  readonly globalLogsPerSecond?: number | undefined
  /** Hits waiting to be read (default 10,000); more are dropped and counted. */
  readonly hitQueue?: number | undefined
  readonly locate?: LocateOptions | undefined
}

export type LiveHit =
  | { readonly _tag: "Snapshot"; readonly probe: LiveProbe; readonly event: CaptureEvent; readonly micros: number }
  | { readonly _tag: "Log"; readonly probe: LiveProbe; readonly event: CaptureEvent; readonly micros: number }
  | { readonly _tag: "ProbeError"; readonly probe: LiveProbe; readonly message: string }

export type ProbeStatus = "pending" | "installed" | "error"

export interface ProbeState {
  readonly id: string
  readonly file: string
  readonly line: number
  readonly status: ProbeStatus
  /** Where the breakpoint is: the script and its 1-based generated line. */
  readonly script?: string | undefined
  readonly generatedLine?: number | undefined
  readonly hits: number
  readonly errors: number
  readonly lastError?: string | undefined
}

export interface SessionCounters {
  /** Hits the helper sent that were not read in time (queue full). */
  readonly dropped: number
  /** Payloads from the target that did not decode. */
  readonly invalid: number
  /** First-hit pauses (to learn a location's variable names) and their total duration. */
  readonly pauses: number
  readonly pauseMicros: number
}

export interface LiveSession {
  readonly target: InspectorTarget
  /** Resolves the probe's script now and sets it; fails when the file is not loaded. */
  readonly install: (probe: LiveProbe) => Effect.Effect<ProbeState, InstallError>
  /** Like install, but a probe whose file is not loaded yet waits (pending) until a script matches. */
  readonly installWhenLoaded: (probe: LiveProbe) => Effect.Effect<ProbeState, InstallError>
  readonly remove: (probeId: string) => Effect.Effect<void>
  readonly hits: Queue.Dequeue<LiveHit>
  readonly states: Effect.Effect<ReadonlyArray<ProbeState>>
  readonly counters: Effect.Effect<SessionCounters>
  /** Completes when the target's inspector connection closes (the target exited). */
  readonly closed: Effect.Effect<void>
}

interface Script {
  readonly id: string
  readonly url: string
  readonly path: string
  readonly sourceMapURL: string
  map?: Option.Option<TraceMap>
}

interface Location {
  readonly loc: number
  readonly key: string
  readonly scriptId: string
  readonly line0: number
  readonly column0: number
  breakpointId: string | undefined
  readonly probes: Set<number>
}

interface Entry {
  readonly index: number
  readonly probe: LiveProbe
  status: ProbeStatus
  location: Location | undefined
  hits: number
  errors: number
  lastError: string | undefined
}

const bindingName = "__ddAgentLiveCapture"

export const attach = (
  pid: number,
  options: LiveSessionOptions = {}
): Effect.Effect<LiveSession, AttachError, Scope.Scope> =>
  Effect.gen(function*() {
    const target = yield* locateInspector(pid, options.locate)
    const budgetMs = Duration.toMillis(Duration.decode(options.budget ?? "15 millis"))
    const scripts = new Map<string, Script>()
    const scriptsByFile = new Map<string, Script>()
    const entries = new Map<string, Entry>()
    const byIndex = new Map<number, Entry>()
    const locations = new Map<string, Location>()
    const byLoc = new Map<number, Location>()
    const byBreakpoint = new Map<string, Location>()
    let nextIndex = 0
    let nextLoc = 0
    const counters = yield* Ref.make<SessionCounters>({ dropped: 0, invalid: 0, pauses: 0, pauseMicros: 0 })
    // Counted in the socket's event callback, which runs outside any fiber; folded into `counters` when read.
    let dropped = 0
    const hits = yield* Effect.acquireRelease(Queue.dropping<LiveHit>(options.hitQueue ?? 10_000), Queue.shutdown)
    const payloads = yield* Effect.acquireRelease(Queue.dropping<string>(options.hitQueue ?? 10_000), Queue.shutdown)
    const pauses = yield* Effect.acquireRelease(Queue.sliding<Protocol.Debugger.PausedEvent>(64), Queue.shutdown)
    const scriptsChanged = yield* Effect.acquireRelease(Queue.sliding<void>(1), Queue.shutdown)
    const lock = yield* Effect.makeSemaphore(1)

    const onEvent = (method: string, params: unknown) => {
      switch (method) {
        case "Debugger.scriptParsed": {
          const p = params as Protocol.Debugger.ScriptParsedEvent
          // Every evaluated condition is a script with no URL: ignore those.
          if (p.url === "") return
          const s: Script = { id: p.scriptId, url: p.url, path: scriptPath(p.url), sourceMapURL: p.sourceMapURL ?? "" }
          scripts.set(s.id, s)
          scriptsByFile.set(s.url, s)
          scriptsByFile.set(s.path, s)
          Queue.unsafeOffer(scriptsChanged, undefined)
          return
        }
        case "Runtime.bindingCalled": {
          const p = params as Protocol.Runtime.BindingCalledEvent
          if (p.name !== bindingName) return
          if (!Queue.unsafeOffer(payloads, p.payload)) dropped++
          return
        }
        case "Debugger.paused":
          Queue.unsafeOffer(pauses, params as Protocol.Debugger.PausedEvent)
          return
        case "NodeRuntime.waitingForDisconnect":
          // The target finished (process.exit or end of work) and waits for its clients to leave.
          client?.close()
          return
      }
    }

    let client: CdpClient | undefined
    const cdp: CdpClient = yield* connect(target.webSocketUrl, onEvent)
    client = cdp
    const quiet = <A>(e: Effect.Effect<A, CdpError>) => e.pipe(Effect.timeoutOption("2 seconds"), Effect.ignore)

    // Registered after the socket (so it runs before the socket closes): leave the target as it was.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        if (!cdp.isOpen()) return
        yield* Effect.forEach(byBreakpoint.keys(), (breakpointId) =>
          quiet(cdp.send("Debugger.removeBreakpoint", { breakpointId })), { concurrency: "unbounded", discard: true })
        yield* quiet(cdp.send("Runtime.evaluate", { expression: helperCall("close"), silent: true }))
        yield* quiet(cdp.send("Runtime.removeBinding", { name: bindingName }))
        // Resumes the target if it is paused, and stops the scriptParsed flow.
        yield* quiet(cdp.send("Debugger.disable"))
      }).pipe(Effect.timeoutOption("5 seconds"), Effect.ignore)
    )

    const evaluate = (expression: string) =>
      cdp.send("Runtime.evaluate", { expression, silent: true, returnByValue: true }).pipe(
        Effect.flatMap((r) =>
          r.exceptionDetails === undefined
            ? Effect.succeed(r.result.value as unknown)
            : Effect.fail(new CdpError({ method: "Runtime.evaluate", detail: r.exceptionDetails.exception?.description ?? r.exceptionDetails.text })))
      )

    // Without this, a target calling process.exit waits for this client to disconnect.
    yield* cdp.sendNode("NodeRuntime.notifyWhenWaitingForDisconnect", { enabled: true })
    yield* cdp.send("Runtime.addBinding", { name: bindingName })
    yield* evaluate(installExpression({
      binding: bindingName,
      budgetMs,
      globalSnapshotsPerSecond: options.globalSnapshotsPerSecond ?? defaultGlobalSnapshotsPerSecond,
      globalLogsPerSecond: options.globalLogsPerSecond ?? defaultGlobalLogsPerSecond
    }))
    // The response comes after a scriptParsed event for every script already loaded.
    yield* cdp.send("Debugger.enable", {})
    yield* cdp.send("Debugger.setBreakpointsActive", { active: true })

    const mapOf = (s: Script) =>
      Effect.gen(function*() {
        if (s.map !== undefined) return s.map
        const m = s.sourceMapURL === "" ? Option.none<TraceMap>() : yield* loadSourceMap(s.url, s.sourceMapURL)
        s.map = m
        return m
      })

    // ---- probe placement ----
    type Place = { readonly script: Script; readonly line0: number; readonly column0: number }
    const place = (probe: LiveProbe): Effect.Effect<Option.Option<Place>, InstallError> =>
      Effect.gen(function*() {
        const all = [...scripts.values()]
        const direct = all.filter((s) => pathEndsWith(s.path, probe.file))
        if (direct.length > 1) {
          return yield* new AmbiguousProbeFile({ probe: probe.id, candidates: direct.map((s) => s.path).slice(0, 8) })
        }
        if (direct.length === 1) return Option.some({ script: direct[0]!, line0: probe.line - 1, column0: 0 })
        const mapped: Array<{ script: Script; source: string; map: TraceMap }> = []
        yield* Effect.forEach(all.filter((s) => s.sourceMapURL !== ""), (s) =>
          Effect.map(mapOf(s), (m) => {
            if (Option.isNone(m)) return
            for (const source of matchingSources(sourcesOf(m.value), probe.file)) mapped.push({ script: s, source, map: m.value })
          }), { concurrency: 8, discard: true })
        if (mapped.length > 1) {
          return yield* new AmbiguousProbeFile({
            probe: probe.id,
            candidates: mapped.map((m) => `${scriptPath(m.source)} (in ${m.script.path})`).slice(0, 8)
          })
        }
        if (mapped.length === 0) return Option.none()
        const { map, script, source } = mapped[0]!
        const at = generatedLine(map, source, probe.line)
        if (Option.isNone(at)) {
          return yield* new ProbeLineNotMapped({
            probe: probe.id,
            detail: `line ${probe.line} of ${scriptPath(source)} has no generated code in ${script.path}`
          })
        }
        return Option.some({ script, line0: at.value.line, column0: at.value.column })
      })

    const conditionOf = (l: Location) =>
      breakpointCondition(
        l.loc,
        [...l.probes].flatMap((i) => {
          const e = byIndex.get(i)
          return e === undefined ? [] : [{ index: i, condition: e.probe.condition, paths: e.probe.template?.paths }]
        })
      )

    /** (Re)sets the location's breakpoint with a condition carrying its current probes. */
    const setBreakpoint = (l: Location) =>
      Effect.gen(function*() {
        if (l.breakpointId !== undefined) {
          yield* cdp.send("Debugger.removeBreakpoint", { breakpointId: l.breakpointId })
          byBreakpoint.delete(l.breakpointId)
          l.breakpointId = undefined
        }
        if (l.probes.size === 0) return
        const r = yield* cdp.send("Debugger.setBreakpoint", {
          location: { scriptId: l.scriptId, lineNumber: l.line0, columnNumber: l.column0 },
          condition: conditionOf(l)
        })
        l.breakpointId = r.breakpointId
        byBreakpoint.set(r.breakpointId, l)
      })

    const helperProbe = (p: LiveProbe): HelperProbe => ({ log: p.template !== undefined, rate: rateOf(p), limits: helperLimits(p) })

    const stateOf = (e: Entry): ProbeState => {
      const s = e.location === undefined ? undefined : scripts.get(e.location.scriptId)
      return {
        id: e.probe.id,
        file: e.probe.file,
        line: e.probe.line,
        status: e.status,
        script: s?.path,
        generatedLine: e.location === undefined ? undefined : e.location.line0 + 1,
        hits: e.hits,
        errors: e.errors,
        lastError: e.lastError
      }
    }

    const installEntry = (e: Entry) =>
      Effect.gen(function*() {
        const at = yield* place(e.probe)
        if (Option.isNone(at)) return false
        const { column0, line0, script } = at.value
        const key = `${script.id}:${line0}:${column0}`
        let l = locations.get(key)
        if (l === undefined) {
          l = { loc: nextLoc++, key, scriptId: script.id, line0, column0, breakpointId: undefined, probes: new Set() }
          locations.set(key, l)
          byLoc.set(l.loc, l)
        }
        yield* evaluate(helperCall("set", e.index, helperProbe(e.probe)))
        l.probes.add(e.index)
        e.location = l
        yield* setBreakpoint(l)
        e.status = "installed"
        return true
      })

    const register = (probe: LiveProbe, waitForScript: boolean) =>
      lock.withPermits(1)(Effect.gen(function*() {
        if (entries.has(probe.id)) yield* removeUnlocked(probe.id)
        const e: Entry = { index: nextIndex++, probe, status: "pending", location: undefined, hits: 0, errors: 0, lastError: undefined }
        entries.set(probe.id, e)
        byIndex.set(e.index, e)
        const installed = yield* installEntry(e).pipe(
          Effect.tapError(() => removeUnlocked(probe.id))
        )
        if (!installed && !waitForScript) {
          yield* removeUnlocked(probe.id)
          return yield* new ProbeFileNotLoaded({ probe: probe.id, file: probe.file })
        }
        return stateOf(e)
      }))

    const removeUnlocked = (id: string) =>
      Effect.gen(function*() {
        const e = entries.get(id)
        if (e === undefined) return
        entries.delete(id)
        byIndex.delete(e.index)
        const l = e.location
        if (l !== undefined) {
          l.probes.delete(e.index)
          yield* quiet(setBreakpoint(l))
          if (l.probes.size === 0) {
            locations.delete(l.key)
            byLoc.delete(l.loc)
            yield* quiet(evaluate(helperCall("forget", l.loc)))
          }
        }
        yield* quiet(evaluate(helperCall("del", e.index)))
      })

    // ---- fibers: pending probes, pauses, payloads ----
    const fibers = yield* FiberSet.make()

    yield* FiberSet.run(fibers, Effect.forever(Effect.gen(function*() {
      yield* Queue.take(scriptsChanged)
      yield* lock.withPermits(1)(Effect.forEach([...entries.values()].filter((e) => e.status === "pending"), (e) =>
        installEntry(e).pipe(Effect.catchAll((err) => Effect.sync(() => {
          e.status = "error"
          e.lastError = err.message
        }))), { discard: true }))
    })))

    /** The only pause: a location's first snapshot hit, to read the frame's variable names. */
    const onPause = (p: Protocol.Debugger.PausedEvent) =>
      Effect.gen(function*() {
        const started = performance.now()
        const l = (p.hitBreakpoints ?? []).map((id) => byBreakpoint.get(id)).find((x) => x !== undefined)
        const frame = p.callFrames[0]
        if (l !== undefined && frame !== undefined) {
          yield* Effect.gen(function*() {
            const scopes = frame.scopeChain.filter((s) => s.type !== "global" && s.object.objectId !== undefined)
            const props = yield* Effect.forEach(scopes, (s) =>
              cdp.send("Runtime.getProperties", { objectId: s.object.objectId!, ownProperties: true }), { concurrency: "unbounded" })
            const names = props.flatMap((r) => r.result.map((d) => d.name))
            yield* cdp.send("Debugger.evaluateOnCallFrame", {
              callFrameId: frame.callFrameId,
              expression: learnExpression(l.loc, names),
              silent: true,
              returnByValue: true
            })
          }).pipe(Effect.timeoutOption(Duration.millis(budgetMs * 4)), Effect.ignore)
        }
        yield* quiet(cdp.send("Debugger.resume", {}))
        const micros = Math.round((performance.now() - started) * 1000)
        if (l !== undefined) yield* Ref.update(counters, (c) => ({ ...c, pauses: c.pauses + 1, pauseMicros: c.pauseMicros + micros }))
      })
    yield* FiberSet.run(fibers, Effect.forever(Effect.flatMap(Queue.take(pauses), onPause)))

    const frameMapper = (files: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const known = files.flatMap((f) => {
          const s = scriptsByFile.get(f)
          return s === undefined ? [] : [s]
        })
        yield* Effect.forEach(known, mapOf, { discard: true })
        return {
          map: (fn, file, line, column): Frame => {
            const s = scriptsByFile.get(file)
            const m = s?.map
            if (m !== undefined && Option.isSome(m)) {
              const o = originalPosition(m.value, line, column)
              if (Option.isSome(o)) {
                return { function: fn, file: scriptPath(o.value.source), line: o.value.line, column: o.value.column }
              }
            }
            return { function: fn, file: scriptPath(file), line, column }
          }
        } satisfies FrameMapper
      })

    const deliver = (payload: HitPayload) =>
      Effect.gen(function*() {
        switch (payload.k) {
          case "e": {
            const e = byIndex.get(payload.p)
            if (e === undefined) return
            e.errors++
            e.lastError = payload.m
            yield* Queue.offer(hits, { _tag: "ProbeError", probe: e.probe, message: payload.m })
            return
          }
          case "l": {
            const e = byIndex.get(payload.p)
            if (e === undefined) return
            e.hits++
            yield* Queue.offer(hits, { _tag: "Log", probe: e.probe, event: logEvent(payload, e.probe, pid), micros: payload.us })
            return
          }
          case "s": {
            const es = payload.p.flatMap((i) => {
              const e = byIndex.get(i)
              return e === undefined ? [] : [e]
            })
            if (es.length === 0) return
            const mapper = yield* frameMapper(payload.st.map((f) => f[1]))
            const events = snapshotEvents(payload, es.map((e) => e.probe), pid, mapper)
            yield* Effect.forEach(es, (e, i) => {
              e.hits++
              return Queue.offer(hits, { _tag: "Snapshot", probe: e.probe, event: events[i]!, micros: payload.us })
            }, { discard: true })
          }
        }
      })

    yield* FiberSet.run(fibers, Effect.forever(Effect.gen(function*() {
      const json = yield* Queue.take(payloads)
      const decoded = decodeHitPayload(json)
      if (Either.isLeft(decoded)) {
        yield* Ref.update(counters, (c) => ({ ...c, invalid: c.invalid + 1 }))
        return yield* Effect.logWarning("live capture: payload from the target rejected", decoded.left.slice(0, 500))
      }
      yield* deliver(decoded.right)
    })))

    return {
      target,
      install: (probe) => register(probe, false),
      installWhenLoaded: (probe) => register(probe, true),
      remove: (id) => lock.withPermits(1)(removeUnlocked(id)),
      hits,
      states: Effect.sync(() => [...entries.values()].map(stateOf)),
      counters: Effect.map(Ref.get(counters), (c) => ({ ...c, dropped })),
      closed: cdp.closed
    } satisfies LiveSession
  })
