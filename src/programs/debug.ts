/**
 * `dd-agent debug --pid PID --probe FILE:LINE …`: live capture from a running Node.js process. Attaches
 * through the process's inspector (opened with SIGUSR1 when it is off; loopback only), sets the probes,
 * and writes one snapshot message per hit as a JSON line on stdout — the format `dd-agent snapshot
 * encode` produces, the service named through the process resolver — or uploads them with `--endpoint`.
 * Ends after `--max-hits`, `--duration`, or SIGINT/SIGTERM, and always detaches (the session's scope).
 */
import { Command, Options } from "@effect/cli"
import { NodeHttpClient } from "@effect/platform-node"
import { Config, Console, Data, Duration, Effect, Either, Layer, Option, Queue } from "effect"
import type { CaptureEvent } from "../services/debugger/CaptureEvent.js"
import { defaultEncoderOptions } from "../services/debugger/Limits.js"
import type { LiveProbe } from "../services/debugger/live/ProbeSpec.js"
import { makeProbe } from "../services/debugger/live/ProbeSpec.js"
import { layerPipeline, SnapshotPipeline } from "../services/debugger/Pipeline.js"
import { layerUnlimited } from "../services/debugger/RateLimiter.js"
import { layer as encoderLayer, SnapshotEncoder } from "../services/debugger/SnapshotEncoder.js"
import { Uploader, uploaderConfig } from "../services/debugger/Uploader.js"
import { attach } from "../layers/debugger/live/LiveSession.js"
import type { LiveSession } from "../layers/debugger/live/LiveSession.js"
import { ProcessInfoFromResolver } from "../layers/debugger/ProcessInfoFromResolver.js"
import { SnapshotIdsRandom } from "../layers/debugger/SnapshotIdsLayers.js"
import { layer as layerUploader } from "../layers/debugger/UploaderLive.js"
import * as ProcessResolverLayer from "../layers/process/ProcessResolverLayer.js"
import { describedWithDefault } from "./optionHelp.js"

/** The capture did not complete as asked; the message says why. */
export class DebugCommandFailed extends Data.TaggedError("DebugCommandFailed")<{ readonly message: string }> {}

const options = {
  pid: Options.integer("pid").pipe(Options.withDescription("pid of the Node.js process to attach to")),
  probes: Options.text("probe").pipe(
    Options.withDescription("FILE:LINE; FILE is the end of a loaded script's path or of a source-mapped original (src/cart.ts)"),
    Options.repeated
  ),
  condition: Options.text("condition").pipe(
    Options.withDescription("JavaScript expression evaluated by V8 in the probed frame; hits where it is falsy never pause"),
    Options.optional
  ),
  log: Options.text("log").pipe(
    Options.withDescription("log probe: message template such as \"total={cart.total}\" (no snapshot)"),
    Options.optional
  ),
  maxHits: Options.integer("max-hits").pipe(Options.withDescription("stop after this many hits in total"), Options.optional),
  duration: Options.integer("duration").pipe(Options.withDescription("stop after this many seconds"), Options.optional),
  rate: Options.float("rate").pipe(
    Options.withDescription("per-probe hits per second (default 1 for snapshots, 5000 for log probes)"),
    Options.optional
  ),
  budgetMs: Options.integer("budget-ms").pipe(
    describedWithDefault("milliseconds of capture time per hit, 1 to 10000", 15)
  ),
  endpoint: Options.text("endpoint").pipe(
    Options.withDescription("upload to this intake URL (the agent's /debugger/v2/input) instead of printing"),
    Options.optional
  ),
  apiKey: Options.redacted("api-key").pipe(
    Options.withFallbackConfig(Config.redacted("DD_API_KEY")),
    Options.withDescription("sent as DD-API-KEY (default: $DD_API_KEY)"),
    Options.optional
  )
}

type Opts = {
  readonly [K in keyof typeof options]: (typeof options)[K] extends Options.Options<infer A> ? A : never
}

const fail = (message: string) => new DebugCommandFailed({ message })

export const probesOf = (o: Pick<Opts, "probes" | "condition" | "log" | "rate">) =>
  Effect.forEach(o.probes, (spec, i) => {
    const id = o.probes.indexOf(spec) === i ? undefined : `${spec}#${i + 1}`
    return Either.mapLeft(
      makeProbe(spec, {
        id,
        condition: Option.getOrUndefined(o.condition),
        template: Option.getOrUndefined(o.log),
        perSecond: Option.getOrUndefined(o.rate)
      }),
      (e) => fail(e.message)
    )
  })

/** The process identity comes from the process resolver (tracer metadata, DD_* environment, executable). */
const processInfoLive = ProcessInfoFromResolver.pipe(
  Layer.provide(ProcessResolverLayer.layerLive({ watch: false, readEnviron: true }))
)
const encoderLive = encoderLayer(defaultEncoderOptions).pipe(
  Layer.provideMerge(Layer.merge(processInfoLive, SnapshotIdsRandom))
)

/** Where encoded hits go: stdout lines, or the uploader pipeline. */
interface Sink {
  readonly write: (event: CaptureEvent) => Effect.Effect<boolean>
  readonly finish: Effect.Effect<void, DebugCommandFailed>
}

const stdoutSink = Effect.gen(function*() {
  const encoder = yield* SnapshotEncoder
  return {
    write: (event) =>
      encoder.encode(event).pipe(
        Effect.flatMap((e) => Effect.as(Console.log(e.json), true)),
        Effect.catchAll((err) => Effect.as(Console.error(`dd-agent debug: ${err.message}`), false))
      ),
    finish: Effect.void
  } satisfies Sink
})

const uploadSink = Effect.gen(function*() {
  const pipeline = yield* SnapshotPipeline
  const uploader = yield* Uploader
  return {
    write: (event) => Effect.map(pipeline.submit(event), (o) => o === "queued"),
    finish: Effect.gen(function*() {
      yield* uploader.flush
      const c = yield* pipeline.counts
      const s = yield* uploader.stats
      yield* Console.error(JSON.stringify({ ...c, uploaded: s.delivered, failed: s.failed }))
      const lost = c.dropped + c.encodeFailed + c.unknownProcess + s.failed
      if (lost > 0) return yield* fail(`${lost} snapshots not delivered`)
    })
  } satisfies Sink
})

/** Reads hits until `maxHits` were written; probe errors go to stderr. */
const drain = (session: LiveSession, sink: Sink, maxHits: number | undefined) =>
  Effect.gen(function*() {
    let written = 0
    let failed = 0
    while (maxHits === undefined || written < maxHits) {
      const hit = yield* Queue.take(session.hits)
      if (hit._tag === "ProbeError") {
        yield* Console.error(`dd-agent debug: probe ${hit.probe.id}: ${hit.message}`)
        continue
      }
      if (yield* sink.write(hit.event)) written++
      else failed++
    }
    return { written, failed }
  })

const run = (o: Opts) =>
  Effect.gen(function*() {
    const probes: ReadonlyArray<LiveProbe> = yield* probesOf(o)
    if (probes.length === 0) return yield* fail("give at least one --probe FILE:LINE")
    const maxHits = Option.getOrUndefined(o.maxHits)
    if (maxHits !== undefined && maxHits <= 0) return yield* fail("--max-hits must be positive")
    if (o.budgetMs <= 0 || o.budgetMs > 10_000) return yield* fail("--budget-ms must be between 1 and 10000")
    const sinkLayer = Option.match(o.endpoint, {
      onNone: () => Layer.effect(SinkTag, stdoutSink).pipe(Layer.provide(encoderLive)),
      onSome: (url) => {
        const endpoint = Either.try(() => new URL(url))
        if (Either.isLeft(endpoint)) return Layer.fail(fail(`--endpoint ${url}: not a URL`))
        const uploader = layerUploader(uploaderConfig(endpoint.right, { apiKey: Option.getOrUndefined(o.apiKey) })).pipe(
          Layer.provide(NodeHttpClient.layer)
        )
        // Rates are applied in the target (a rate-limited hit never leaves it), so not again here.
        return Layer.effect(SinkTag, uploadSink).pipe(
          Layer.provide(layerPipeline.pipe(Layer.provideMerge(Layer.mergeAll(encoderLive, uploader, layerUnlimited))))
        )
      }
    })
    yield* Effect.scoped(Effect.gen(function*() {
      const sink = yield* SinkTag
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* attach(o.pid, { budget: Duration.millis(o.budgetMs) })
        for (const p of probes) {
          const st = yield* session.install(p)
          yield* Console.error(`dd-agent debug: probe ${st.id} set in ${st.script}:${st.generatedLine}`)
        }
        yield* Console.error(
          `dd-agent debug: attached to pid ${o.pid} through ${session.target.address}:${session.target.port}` +
            (session.target.openedBySignal ? " (opened with SIGUSR1; the inspector stays open after detach)" : "")
        )
        const stopAfter = Option.match(o.duration, {
          onNone: () => Effect.never,
          onSome: (s) => Effect.sleep(Duration.seconds(s))
        })
        const outcome = yield* drain(session, sink, maxHits).pipe(
          Effect.map(Option.some),
          Effect.raceFirst(Effect.as(stopAfter, Option.none())),
          Effect.raceFirst(Effect.zipRight(session.closed, Effect.fail(fail(`pid ${o.pid}: the target exited`))))
        )
        return outcome
      }))
      yield* sink.finish
      if (Option.isSome(result) && result.value.failed > 0) {
        return yield* fail(`${result.value.failed} hits could not be encoded`)
      }
    })).pipe(Effect.provide(sinkLayer))
  }).pipe(
    Effect.catchAll((e) =>
      Console.error(`dd-agent debug: ${e.message}`).pipe(Effect.zipRight(Effect.sync(() => {
        process.exitCode = 1
      }))))
  )

class SinkTag extends Effect.Tag("dd-agent-effect/programs/debug/Sink")<SinkTag, Sink>() {}

export const debugCommand = Command.make("debug", options, run).pipe(
  Command.withDescription("live capture: attach to a running Node.js process, set probes by FILE:LINE, emit snapshots")
)
