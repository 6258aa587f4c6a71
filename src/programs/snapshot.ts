/**
 * `dd-agent snapshot encode|upload`: capture events (JSON lines, FILE or stdin) → snapshot messages on
 * stdout, or uploaded to an intake. Bad lines are reported on stderr with their line number and the rule
 * they broke; the rest of the input still goes through, and the exit status says whether all of it did.
 */
import * as os from "node:os"
import { Args, Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { NodeHttpClient, NodeStream } from "@effect/platform-node"
import { Config, Console, Data, Effect, Either, Layer, Option, Schema, Stream } from "effect"
import { decodeEventLine, maxLineBytes } from "../services/debugger/EventDecoder.js"
import type { SplitLine } from "../services/debugger/LineSplitter.js"
import { initialSplit, splitChunk } from "../services/debugger/LineSplitter.js"
import type { ProcessFacts } from "../services/debugger/ProcessInfo.js"
import { ProcessFactsFile } from "../services/debugger/ProcessInfo.js"
import { layerPipeline, SnapshotPipeline } from "../services/debugger/Pipeline.js"
import { layerRateLimiter, layerUnlimited } from "../services/debugger/RateLimiter.js"
import { layer as encoderLayer, SnapshotEncoder } from "../services/debugger/SnapshotEncoder.js"
import { defaultAgentEndpoint, Uploader, uploaderConfig } from "../services/debugger/Uploader.js"
import { defaultEncoderOptions } from "../services/debugger/Limits.js"
import { ProcessInfoFromResolver } from "../layers/debugger/ProcessInfoFromResolver.js"
import { ProcessInfoStatic, ProcessInfoTableOver } from "../layers/debugger/ProcessInfoLayers.js"
import * as ProcessResolverLayer from "../layers/process/ProcessResolverLayer.js"
import { SnapshotIdsRandom, SnapshotIdsSequential } from "../layers/debugger/SnapshotIdsLayers.js"
import { layer as layerUploader } from "../layers/debugger/UploaderLive.js"
import { describedWithDefault } from "./optionHelp.js"

/** Some input was not encoded or not delivered; the counts are in the message. */
export class SnapshotCommandFailed extends Data.TaggedError("SnapshotCommandFailed")<{ readonly message: string }> {}

const file = Args.file({ name: "FILE", exists: "yes" }).pipe(
  Args.withDescription("capture events as JSON lines (default: stdin)"),
  Args.optional
)
const processes = Options.file("processes", { exists: "yes" }).pipe(
  Options.withDescription("JSON file of known processes: {\"<pid>\": {tracer?, env?, exe?, host?}}; other pids are read from /proc"),
  Options.optional
)
const service = Options.text("service").pipe(
  Options.withDescription("service for pids not in --processes, with this machine's host name (instead of reading /proc)"),
  Options.optional
)
const sequentialIds = Options.boolean("sequential-ids").pipe(
  Options.withDescription("deterministic snapshot ids 00000000-0000-4000-8000-000000000001, … (reproducible output)")
)
const byteBudget = Options.integer("byte-budget").pipe(
  describedWithDefault("bytes one message may take, at least 4096", defaultEncoderOptions.byteBudget)
)

interface Common {
  readonly file: Option.Option<string>
  readonly processes: Option.Option<string>
  readonly service: Option.Option<string>
  readonly sequentialIds: boolean
  readonly byteBudget: number
}

const readProcesses = (path: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isNone(path)) return new Map<number, ProcessFacts>()
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path.value).pipe(
      Effect.mapError((e) => new SnapshotCommandFailed({ message: `--processes ${path.value}: ${e.message}` }))
    )
    const parsed = yield* Effect.try(() => JSON.parse(text) as unknown).pipe(
      Effect.flatMap(Schema.decodeUnknown(ProcessFactsFile)),
      Effect.mapError((e) => new SnapshotCommandFailed({ message: `--processes ${path.value}: ${e.message}` }))
    )
    return new Map(Object.entries(parsed).map(([pid, f]) => [Number(pid), f] as const))
  })

const encoderLayerFor = (o: Common, table: ReadonlyMap<number, ProcessFacts>) => {
  if (o.byteBudget < 4096) return Layer.fail(new SnapshotCommandFailed({ message: "--byte-budget must be at least 4096" }))
  const rest = Option.match(o.service, {
    // The process resolver cache: tracer metadata from the memfd, then DD_* from the environment, then the exe.
    onNone: () => ProcessInfoFromResolver.pipe(Layer.provide(ProcessResolverLayer.layerLive({ watch: false, readEnviron: true }))),
    onSome: (name) => ProcessInfoStatic(new Map(), { env: { DD_SERVICE: name }, host: os.hostname() })
  })
  const info = ProcessInfoTableOver(table).pipe(Layer.provide(rest))
  const ids = o.sequentialIds ? SnapshotIdsSequential : SnapshotIdsRandom
  return Layer.merge(
    encoderLayer({ ...defaultEncoderOptions, byteBudget: o.byteBudget }).pipe(Layer.provide(Layer.merge(info, ids))),
    info
  )
}

/** Numbered lines of FILE or stdin, each at most `maxLineBytes` characters (longer ones are reported). */
const inputLines = (path: Option.Option<string>) =>
  Stream.unwrap(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const bytes: Stream.Stream<Uint8Array, Error> = Option.isSome(path)
      ? fs.stream(path.value)
      : NodeStream.fromReadable<Error, Uint8Array>(() => process.stdin, (e) => e as Error, { closeOnDone: false })
    return bytes.pipe(
      Stream.mapError((e) => new SnapshotCommandFailed({ message: `reading ${Option.getOrElse(path, () => "stdin")}: ${e.message}` })),
      Stream.decodeText(),
      Stream.map(Option.some),
      Stream.concat(Stream.succeed(Option.none<string>())),
      Stream.mapAccum(initialSplit, (state, chunk) => splitChunk(state, Option.getOrUndefined(chunk), maxLineBytes)),
      Stream.flattenIterables,
      Stream.zipWithIndex
    )
  }))

const reportInvalid = (line: number, message: string) => Console.error(`line ${line}: ${message}`)

/** A defect while handling one line (a bug, not bad input) fails that line only; the next lines go on. */
const lineDefect = (line: number, onDefect: () => void) => (defect: unknown) =>
  Effect.sync(onDefect).pipe(Effect.zipRight(reportInvalid(line, `internal error: ${defect instanceof Error ? defect.message : String(defect)}`)))

/** The text of a line, or the error for one over the length limit. */
const lineText = (l: SplitLine): Either.Either<string, string> =>
  l._tag === "Line" ? Either.right(l.text) : Either.left(`line longer than ${maxLineBytes} characters (${l.length})`)

/**
 * Reports a partial failure on stderr and sets the exit status, keeping stdout a clean stream of JSON
 * lines (a failed program would have its error logged by the runtime on stdout).
 */
const exitNonZero = <A, R>(run: Effect.Effect<A, SnapshotCommandFailed, R>) =>
  run.pipe(
    Effect.catchTag("SnapshotCommandFailed", (e) =>
      Console.error(`dd-agent snapshot: ${e.message}`).pipe(Effect.zipRight(Effect.sync(() => {
        process.exitCode = 1
      }))))
  )

const encodeCommand = Command.make(
  "encode",
  { file, processes, service, sequentialIds, byteBudget, pretty: Options.boolean("pretty").pipe(Options.withDescription("indent the JSON messages (one per line otherwise)")) },
  (o) =>
    Effect.gen(function*() {
      const table = yield* readProcesses(o.processes)
      yield* Effect.gen(function*() {
        const encoder = yield* SnapshotEncoder
        let ok = 0
        let bad = 0
        yield* inputLines(o.file).pipe(
          Stream.runForEach(([l, i]) =>
            Effect.gen(function*() {
              const text = lineText(l)
              if (Either.isLeft(text)) {
                bad++
                return yield* reportInvalid(i + 1, text.left)
              }
              if (text.right.trim() === "") return
              const event = decodeEventLine(text.right, i + 1)
              if (Either.isLeft(event)) {
                bad++
                return yield* reportInvalid(i + 1, event.left.message)
              }
              const out = yield* Effect.either(encoder.encode(event.right))
              if (Either.isLeft(out)) {
                bad++
                return yield* reportInvalid(i + 1, out.left.message)
              }
              ok++
              yield* Console.log(o.pretty ? JSON.stringify(JSON.parse(out.right.json), null, 2) : out.right.json)
            }).pipe(Effect.catchAllDefect(lineDefect(i + 1, () => bad++))))
        )
        if (bad > 0) return yield* new SnapshotCommandFailed({ message: `${bad} of ${ok + bad} events not encoded` })
      }).pipe(Effect.provide(encoderLayerFor(o, table)))
    }).pipe(exitNonZero)
).pipe(Command.withDescription("encode capture events (JSON lines) into snapshot messages (JSON lines)"))

const uploadCommand = Command.make(
  "upload",
  {
    file,
    processes,
    service,
    sequentialIds,
    byteBudget,
    endpoint: Options.text("endpoint").pipe(
      describedWithDefault("snapshot intake URL (the local agent's /debugger/v2/input, or an intake with --api-key)", defaultAgentEndpoint)
    ),
    apiKey: Options.redacted("api-key").pipe(
      Options.withFallbackConfig(Config.redacted("DD_API_KEY")),
      Options.withDescription("sent as DD-API-KEY (default: $DD_API_KEY)"),
      Options.optional
    ),
    noRateLimit: Options.boolean("no-rate-limit").pipe(
      Options.withDescription("do not apply per-probe rate limits (replaying recorded events)")
    ),
    gzip: Options.boolean("gzip").pipe(
      Options.withDescription("gzip request bodies (Content-Encoding: gzip); off by default, as the tracers send none")
    )
  },
  (o) =>
    Effect.gen(function*() {
      const table = yield* readProcesses(o.processes)
      const endpoint = yield* Effect.try(() => new URL(o.endpoint)).pipe(
        Effect.mapError(() => new SnapshotCommandFailed({ message: `--endpoint ${o.endpoint}: not a URL` }))
      )
      const uploader = layerUploader(uploaderConfig(endpoint, { apiKey: Option.getOrUndefined(o.apiKey), gzip: o.gzip })).pipe(
        Layer.provide(NodeHttpClient.layer)
      )
      const pipeline = layerPipeline.pipe(
        Layer.provideMerge(Layer.mergeAll(encoderLayerFor(o, table), uploader, o.noRateLimit ? layerUnlimited : layerRateLimiter()))
      )
      yield* Effect.gen(function*() {
        const p = yield* SnapshotPipeline
        let invalid = 0
        yield* inputLines(o.file).pipe(
          Stream.runForEach(([l, i]) => {
            const text = lineText(l)
            if (Either.isLeft(text)) {
              invalid++
              return reportInvalid(i + 1, text.left)
            }
            if (text.right.trim() === "") return Effect.void
            const event = decodeEventLine(text.right, i + 1)
            if (Either.isLeft(event)) {
              invalid++
              return reportInvalid(i + 1, event.left.message)
            }
            return p.submit(event.right).pipe(Effect.catchAllDefect(lineDefect(i + 1, () => invalid++)))
          })
        )
        const up = yield* Uploader
        yield* up.flush
        const c = yield* p.counts
        const s = yield* up.stats
        const snapshotsDropped = c.dropped
        const undelivered = invalid + c.encodeFailed + c.unknownProcess + snapshotsDropped + s.failed
        // `uploaded` and `failed` count items sent to the intake: snapshots and probe diagnostics.
        const summary = {
          invalid, ...c, uploaded: s.delivered, failed: s.failed, batches: s.batches, retries: s.retries,
          endpoint: s.snapshotEndpoint, ...(s.lastError === undefined ? {} : { lastError: s.lastError })
        }
        yield* Console.error(JSON.stringify(summary))
        if (undelivered > 0) {
          return yield* new SnapshotCommandFailed({ message: `not delivered: ${JSON.stringify(summary)}` })
        }
      }).pipe(Effect.provide(pipeline))
    }).pipe(exitNonZero)
).pipe(Command.withDescription("encode capture events and upload them (batched, retried)"))

export const snapshotCommand = Command.make("snapshot").pipe(
  Command.withDescription("Dynamic Instrumentation snapshots: encode capture events, upload them"),
  Command.withSubcommands([encodeCommand, uploadCommand])
)
