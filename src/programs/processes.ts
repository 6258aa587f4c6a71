/**
 * `dd-agent processes [--pid N] [--json]`: resolve processes with their tracer metadata.
 * `dd-agent processes watch [--interval D]`: stream process events as JSON lines until interrupted.
 * Command lines are scrubbed of secrets (`--sensitive-word` adds words to the defaults).
 * `dd-agent processes schemas [--out DIR]`: print or write the JSON Schemas of the emitted JSON.
 */
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { FileSystem, Path } from "@effect/platform"
import { Config, Console, Duration, Effect, Either, Layer, Option, Schema, Stream } from "effect"
import * as ProcFsLive from "../layers/process/ProcFsLive.js"
import * as ResolverLayer from "../layers/process/ProcessResolverLayer.js"
import { ProcessReportJson, ProcessEventJson, SecurityEventJson } from "../services/process/EventSchemas.js"
import { jsonSchemas, renderJsonSchema } from "../services/process/JsonSchemas.js"
import type { ProcessEntry } from "../services/process/ProcessEntry.js"
import { makeArgsScrubber } from "../services/process/ArgsScrubber.js"
import { ProcFs } from "../services/process/ProcFs.js"
import { ProcessResolver } from "../services/process/ProcessResolver.js"
import { processEventToJson, processReport, securityEvent } from "../services/process/Serializers.js"
import { describedWithDefault } from "./optionHelp.js"

const procRoot = Options.directory("proc-root").pipe(
  Options.withFallbackConfig(Config.string("HOST_PROC")),
  describedWithDefault("procfs to read (a host /proc mounted in a container)", "/proc", "$HOST_PROC, else /proc")
)
const readEnviron = Options.boolean("read-environ").pipe(
  Options.withDescription("read DD_SERVICE/DD_ENV/DD_VERSION from each process environment (nothing else is kept)")
)

const sensitiveWords = Options.text("sensitive-word").pipe(
  Options.withDescription("also scrub the values of arguments matching this word (repeatable; * wildcards), besides password, api_key, secret, …"),
  Options.repeated,
  Options.mapEffect((words) =>
    Either.match(makeArgsScrubber(words), {
      onLeft: (e) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--sensitive-word ${e.message}`))),
      onRight: Effect.succeed
    })
  )
)

/** Parses `500ms`, `2s`, `1.5 seconds`, `1m`, `250 millis`. */
export const parseInterval = (text: string): Either.Either<Duration.Duration, string> => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|millis|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)?\s*$/.exec(text)
  if (m === null) return Either.left(`invalid interval "${text}": expected a number with a unit, e.g. 500ms, 2s, 1m`)
  const n = Number(m[1])
  const unit = m[2] ?? "s"
  const d = unit.startsWith("m") && unit !== "m" && !unit.startsWith("min")
    ? Duration.millis(n)
    : unit === "m" || unit.startsWith("min")
    ? Duration.minutes(n)
    : Duration.seconds(n)
  return Duration.toMillis(d) < 10
    ? Either.left(`invalid interval "${text}": must be at least 10ms`)
    : Either.right(d)
}
const interval = Options.text("interval").pipe(
  describedWithDefault("rescan period, a number with its unit: 500ms, 1s, 1m", "1s"),
  Options.mapEffect((t) =>
    Either.match(parseInterval(t), {
      onLeft: (msg) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(msg))),
      onRight: (d) => Effect.succeed(d)
    })
  )
)

let stdoutClosed: Promise<void> | undefined
/**
 * Completes when the reader of stdout goes away (`dd-agent processes | head`). From then on EPIPE is
 * ignored, as Unix tools do; any other stdout error still surfaces. Installed once per process.
 */
const whenStdoutCloses = Effect.promise(() =>
  stdoutClosed ??= new Promise<void>((resolve) => {
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e
      resolve()
    })
  })
)
/** Runs a command body until it ends or stdout is closed, whichever comes first. */
const whileStdoutOpen = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.raceFirst(Effect.asVoid(body), whenStdoutCloses)

const encodeReport = Schema.encodeSync(ProcessReportJson)
/** Enough to keep every ancestor chain warm while listing; entries beyond are simply re-read. */
const LIST_CACHE_ENTRIES = 4096
const encodeEvent = Schema.encodeSync(ProcessEventJson)
const encodeSecurity = Schema.encodeSync(SecurityEventJson)

/** Values are self-reported by processes: control characters must not reach the terminal. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?")
const pad = (raw: string, n: number) => {
  const s = printable(raw)
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n)
}
const tableRow = (cells: ReadonlyArray<readonly [string, number]>) => cells.map(([s, n]) => pad(s, n)).join(" ").trimEnd()
const HEADER: ReadonlyArray<readonly [string, number]> = [
  ["PID", 8], ["PPID", 8], ["EXE", 36], ["SERVICE", 24], ["ENV", 12], ["VERSION", 12], ["TRACER", 20]
]
const row = (e: ProcessEntry, r: typeof ProcessReportJson.Type) => {
  const t = Option.getOrUndefined(e.tracer)
  return tableRow([
    [String(e.key.pid), 8],
    [String(e.facts.ppid), 8],
    [Option.getOrElse(e.facts.exe, () => `[${e.facts.comm}]`), 36],
    [r.identity.service, 24],
    [r.identity.env ?? "-", 12],
    [r.identity.version ?? "-", 12],
    [t === undefined ? "-" : `${t.tracer_language} ${t.tracer_version}`.trim(), 20]
  ])
}

const list = Command.make(
  "processes",
  {
    pid: Options.integer("pid").pipe(Options.withDescription("resolve only the process with this pid"), Options.optional),
    json: Options.boolean("json").pipe(Options.withDescription("one JSON object per line instead of a table")),
    procRoot,
    readEnviron,
    sensitiveWords
  },
  ({ json, pid, procRoot, readEnviron, sensitiveWords }) =>
    whileStdoutOpen(Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const print = (e: ProcessEntry) =>
        Effect.flatMap(resolver.ancestors(e), (ancestors) => {
          const report = processReport(e, ancestors)
          return Console.log(json ? JSON.stringify(encodeReport(report)) : row(e, report))
        })
      const header = json ? Effect.void : Console.log(tableRow(HEADER))
      if (Option.isSome(pid)) return yield* Effect.flatMap(resolver.resolve(pid.value), (e) => Effect.zipRight(header, print(e)))
      yield* header
      // Streamed in pid order, so a host with more processes than the cache holds is listed in full.
      const pids = yield* (yield* ProcFs).pids
      yield* Effect.forEach(pids, (p) =>
        resolver.resolve(p).pipe(
          Effect.flatMap(print),
          Effect.catchTag("ProcessGone", () => Effect.void) // exited since the listing
        ), { discard: true })
    })).pipe(Effect.provide(
      ResolverLayer.layer({ readEnviron, maxEntries: LIST_CACHE_ENTRIES, argsScrubber: sensitiveWords }).pipe(Layer.provideMerge(ProcFsLive.layer(procRoot)))
    ))
).pipe(Command.withDescription("resolve processes with their tracer metadata"))

const watch = Command.make(
  "watch",
  {
    interval,
    procRoot,
    readEnviron,
    sensitiveWords,
    format: Options.choice("format", ["event", "security"]).pipe(
      describedWithDefault("event: process events; security: CWS-style events with parent and ancestors", "event" as const)
    )
  },
  ({ format, interval, procRoot, readEnviron, sensitiveWords }) =>
    whileStdoutOpen(Effect.scoped(Effect.gen(function*() {
      const resolver = yield* ProcessResolver
      const events = yield* resolver.subscribe // before the first scan: nothing is missed
      yield* resolver.scan // the snapshot: events start after it
      yield* Console.error(`watching ${procRoot} every ${Duration.format(interval)} (interrupt to stop)`)
      yield* Effect.forkScoped(Effect.interruptible(Effect.zipRight(Effect.sleep(interval), resolver.watch)))
      yield* Stream.fromQueue(events).pipe(
        Stream.mapEffect((ev) =>
          format === "security"
            ? Effect.map(
              Option.match(ev.entry, { onNone: () => Effect.succeed([]), onSome: resolver.ancestors }),
              (anc) => JSON.stringify(encodeSecurity(securityEvent(ev, anc)))
            )
            : Effect.succeed(JSON.stringify(encodeEvent(processEventToJson(ev))))
        ),
        Stream.runForEach((line) => Console.log(line))
      )
    }))).pipe(Effect.provide(ResolverLayer.layerLive({ procRoot, readEnviron, interval, watch: false, argsScrubber: sensitiveWords })))
).pipe(Command.withDescription("stream process events (exec, fork, exit, tracer_metadata_found) as JSON lines"))

const schemas = Command.make(
  "schemas",
  { out: Options.directory("out").pipe(Options.withDescription("write *.schema.json files here"), Options.optional) },
  ({ out }) =>
    Effect.gen(function*() {
      const docs = jsonSchemas()
      if (Option.isNone(out)) {
        for (const [name, doc] of Object.entries(docs)) yield* Console.log(`// ${name}\n${renderJsonSchema(doc)}`)
        return
      }
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      yield* fs.makeDirectory(out.value, { recursive: true })
      for (const [name, doc] of Object.entries(docs)) {
        yield* fs.writeFileString(path.join(out.value, name), renderJsonSchema(doc))
      }
      yield* Console.log(`wrote ${Object.keys(docs).length} schemas to ${out.value}`)
    })
).pipe(Command.withDescription("print or write the JSON Schemas of the JSON this command emits"))

export const processesCommand = list.pipe(Command.withSubcommands([watch, schemas]))
