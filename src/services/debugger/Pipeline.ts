/**
 * The snapshot pipeline: rate limit per probe → encode → upload, with probe diagnostics. One call per
 * capture event; the outcome says what happened to it, and counters add up for reporting.
 */
import { Clock, Context, Effect, Layer, Metric, Option, Ref } from "effect"
import type { CaptureEvent } from "./CaptureEvent.js"
import type { ProbeStatus } from "./Diagnostics.js"
import { diagnosticJson, diagnosticKey, DiagnosticsSeen } from "./Diagnostics.js"
import { utf8Length } from "./Json.js"
import { ddtagsOf, ProcessInfo } from "./ProcessInfo.js"
import type { ProcessIdentity } from "./ProcessInfo.js"
import { ProbeRateLimiter } from "./RateLimiter.js"
import { SnapshotEncoder } from "./SnapshotEncoder.js"
import { Uploader } from "./Uploader.js"

export type Outcome = "queued" | "rateLimited" | "dropped" | "encodeFailed" | "unknownProcess"

export interface PipelineCounts {
  readonly queued: number
  readonly rateLimited: number
  readonly dropped: number
  readonly encodeFailed: number
  readonly unknownProcess: number
}

export const encodeFailures = Metric.counter("dd_agent_debugger_encode_failures_total", { incremental: true })

/** Every capture event by what happened to it: a pipeline outcome, or `invalid` (not decodable). */
export const eventOutcomes = Metric.counter("dd_agent_debugger_events_total", {
  description: "capture events by outcome (invalid, queued, rateLimited, dropped, encodeFailed, unknownProcess)",
  incremental: true
})
export const countEvent = (outcome: Outcome | "invalid") => Metric.increment(Metric.tagged(eventOutcomes, "outcome", outcome))

export class SnapshotPipeline extends Context.Tag("dd-agent-effect/debugger/SnapshotPipeline")<SnapshotPipeline, {
  readonly submit: (event: CaptureEvent) => Effect.Effect<Outcome>
  readonly counts: Effect.Effect<PipelineCounts>
}>() {}

export const makeSnapshotPipeline = Effect.gen(function*() {
  const encoder = yield* SnapshotEncoder
  const limiter = yield* ProbeRateLimiter
  const uploader = yield* Uploader
  const processes = yield* ProcessInfo
  const seen = new DiagnosticsSeen()
  const counts = yield* Ref.make<PipelineCounts>({ queued: 0, rateLimited: 0, dropped: 0, encodeFailed: 0, unknownProcess: 0 })

  const diagnose = (identity: ProcessIdentity, event: CaptureEvent, status: ProbeStatus, exception?: { type: string; message: string }) =>
    Effect.gen(function*() {
      if (!seen.firstTime(diagnosticKey(event.probe.id, event.probe.version, status))) return
      const json = diagnosticJson({
        service: identity.service,
        probeId: event.probe.id,
        probeVersion: event.probe.version,
        status,
        timestamp: yield* Clock.currentTimeMillis,
        exception
      })
      yield* uploader.offer({ channel: "diagnostic", ddtags: ddtagsOf(identity), json, bytes: utf8Length(json) })
    })

  const submit = (event: CaptureEvent): Effect.Effect<Outcome> =>
    Effect.gen(function*() {
      if (!(yield* limiter.allow(event.probe))) return "rateLimited" as const
      const encoded = yield* Effect.either(encoder.encode(event))
      if (encoded._tag === "Left") {
        const err = encoded.left
        if (err._tag === "UnknownProcess") return "unknownProcess" as const
        yield* Metric.increment(encodeFailures)
        const identity = yield* processes.lookup(event.pid)
        if (Option.isSome(identity)) yield* diagnose(identity.value, event, "ERROR", { type: err._tag, message: err.message })
        return "encodeFailed" as const
      }
      const e = encoded.right
      const ok = yield* uploader.offer({ channel: "snapshot", ddtags: ddtagsOf(e.identity), json: e.json, bytes: e.bytes })
      if (!ok) return "dropped" as const
      yield* diagnose(e.identity, event, "EMITTING")
      return "queued" as const
    }).pipe(Effect.tap((o) => Effect.zipRight(Ref.update(counts, (c) => ({ ...c, [o]: c[o] + 1 })), countEvent(o))))

  return SnapshotPipeline.of({ submit, counts: Ref.get(counts) })
})

export const layerPipeline = Layer.effect(SnapshotPipeline, makeSnapshotPipeline)
