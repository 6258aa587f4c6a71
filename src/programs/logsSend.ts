/**
 * `dd-agent logs send`: ships files (or stdin), one log per line, over the stateful stream and exits 0 only
 * when every line was acknowledged; otherwise it fails with the exact counts. On a terminal, a progress line
 * is kept on stderr.
 */
import { Args, Command, Options } from "@effect/cli"
import { Clock, Config, Console, Data, Effect, Exit, Fiber, Option, Redacted, Schedule, Sink, Stream } from "effect"
import * as Zlib from "node:zlib"
import { readFileLines, readStreamLines } from "../layers/inputs/LineReader.js"
import { layerSenderGrpc } from "../layers/logs/SenderLive.js"
import type { SplitLine } from "../services/inputs/LineSplitter.js"
import type { LogMessage } from "../services/logs/LogMessage.js"
import { LogsSender, type LogsSenderService, type SenderStatus, type SendReport } from "../services/logs/Sender.js"
import { decodeSenderConfig } from "../services/logs/SenderConfig.js"
import { readTlsFiles } from "../layers/logs/TlsFiles.js"
import { parseHostPort, UsageError } from "./hostPort.js"
import { describedWithDefault } from "./optionHelp.js"

export class LogsSendIncomplete extends Data.TaggedError("LogsSendIncomplete")<{ readonly message: string }> {}

const endpoint = Options.text("endpoint").pipe(Options.withDescription("intake HOST:PORT"))
const insecure = Options.boolean("insecure").pipe(Options.withDescription("plaintext HTTP/2 (loopback only); TLS otherwise"))
const tlsCa = Options.file("tls-ca", { exists: "yes" }).pipe(Options.withDescription("PEM CA bundle the intake's certificate must chain to (default: the system roots)"), Options.optional)
const tlsCert = Options.file("tls-cert", { exists: "yes" }).pipe(Options.withDescription("PEM client certificate, for an intake that requires one (with --tls-key)"), Options.optional)
const tlsKey = Options.file("tls-key", { exists: "yes" }).pipe(Options.withDescription("PEM private key of --tls-cert"), Options.optional)
const tlsServerName = Options.text("tls-server-name").pipe(Options.withDescription("the name the intake's certificate carries, when it differs from the --endpoint host"), Options.optional)
const apiKey = Options.redacted("api-key").pipe(
  Options.withDescription("API key sent as dd-api-key (default: $DD_API_KEY)"),
  Options.withFallbackConfig(Config.redacted("DD_API_KEY")),
  Options.optional
)
const workers = Options.integer("workers").pipe(describedWithDefault("stream workers on the shared channel", 1))
const compression = Options.choice("compression", ["zstd", "identity"]).pipe(
  describedWithDefault("batch compression: zstd, or identity (none)", "zstd" as const)
)
const compressionLevel = Options.integer("compression-level").pipe(describedWithDefault("zstd compression level (1 fastest, 19 smallest)", 1))
const batchMaxEntries = Options.integer("batch-max-entries").pipe(
  describedWithDefault("logs per batch at most", 1000)
)
const patterns = Options.boolean("patterns", { negationNames: ["no-patterns"] }).pipe(
  Options.withDescription("send logs as patterns plus typed values (default: raw text, or $DD_LOGS_CONFIG_PATTERN_EXTRACTION)"),
  Options.withFallbackConfig(Config.boolean("DD_LOGS_CONFIG_PATTERN_EXTRACTION"))
)
const tags = Options.text("tags").pipe(Options.withDescription("comma-separated tags, e.g. env:prod,team:a"), Options.optional)
const service = Options.text("service").pipe(Options.withDescription("service every log is tagged with"), Options.optional)
const source = Options.text("source").pipe(Options.withDescription("source every log is tagged with (ddsource)"), Options.optional)
const status = Options.text("status").pipe(Options.withDescription("status every log carries (e.g. info, error)"), Options.optional)
const shutdownTimeout = Options.integer("shutdown-timeout-ms").pipe(
  describedWithDefault("at end of input, give up after this many milliseconds without an acknowledgement", 10_000)
)
const files = Args.file({ name: "FILE", exists: "yes" }).pipe(Args.repeated)

interface Counters {
  linesRead: number
}

/**
 * Reads one input (a file, or stdin) with the shared line reader and hands each read's lines to the sender
 * as one chunk. Returns false if the sender stopped taking input.
 */
const shipInput = (
  input: string | undefined,
  sender: LogsSenderService,
  template: Omit<LogMessage, "content" | "timestamp">,
  counters: Counters
) => {
  const onLines = (lines: ReadonlyArray<SplitLine>) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const chunk = new Array<LogMessage>(lines.length)
      for (let i = 0; i < lines.length; i++) chunk[i] = { content: lines[i]!.text, timestamp: now, tags: template.tags, status: template.status }
      counters.linesRead += chunk.length
      return sender.send(chunk)
    })
  const read = input === undefined ? readStreamLines(process.stdin, "stdin", onLines) : readFileLines(input, onLines)
  return read.pipe(
    Effect.as(true),
    Effect.catchTag("SenderStopped", () => Effect.succeed(false))
  )
}

const progressLine = (st: SenderStatus, counters: Counters) =>
  Effect.sync(() => {
    let acked = 0
    let wire = 0
    for (const w of st) {
      acked += w.logsAcked
      wire += w.bytesOnWire
    }
    const states = st.map((w) => w.phase).join(",")
    process.stderr.write(`\rread ${counters.linesRead}  acked ${acked}  ${(wire / 1e6).toFixed(1)} MB on the wire  stream ${states}   `)
  })

/** The progress line, redrawn at most every 500 ms while the sender's status changes (a terminal's refresh). */
const showProgress = (sender: LogsSenderService, counters: Counters) =>
  sender.changes.pipe(
    Stream.aggregateWithin(Sink.last(), Schedule.spaced("500 millis")),
    Stream.filterMap((latest) => latest),
    Stream.runForEach((st) => progressLine(st, counters))
  )

/**
 * Shuts the sender down once a worker has given up (e.g. the key was refused), which stops the input instead of
 * leaving it blocked on a sender that no longer takes logs.
 */
export const shutdownOnFailure = (sender: LogsSenderService): Effect.Effect<void> =>
  sender.changes.pipe(
    Stream.filter((st) => st.some((w) => w.phase === "failed")),
    Stream.runHead,
    Effect.zipRight(sender.shutdown),
    Effect.asVoid
  )

const summary = (report: SendReport, counters: Counters) => ({
  linesRead: counters.linesRead,
  acked: report.acked,
  unacked: report.unacked,
  rejected: report.rejected,
  notAccepted: counters.linesRead - report.acked - report.unacked - report.rejected,
  problems: report.workers.flatMap((w) => (w.problem === undefined ? [] : [`worker ${w.worker}: ${w.problem.message} (gRPC ${w.problem.code})`]))
})

export const logsSendCommand = Command.make(
  "send",
  { endpoint, insecure, tlsCa, tlsCert, tlsKey, tlsServerName, apiKey, workers, compression, compressionLevel, batchMaxEntries, patterns, tags, service, source, status, shutdownTimeout, files },
  (args) =>
    Effect.gen(function*() {
      const { host, port } = yield* parseHostPort(args.endpoint, "--endpoint")
      const key = yield* Option.match(args.apiKey, {
        onNone: () => Effect.fail(new UsageError({ message: "--api-key (or DD_API_KEY) is required" })),
        onSome: (k) => Effect.succeed(Redacted.make(Redacted.value(k)))
      })
      const tagList = Option.match(args.tags, { onNone: () => [] as Array<string>, onSome: (t) => t.split(",").filter((x) => x !== "") })
      if (Option.isSome(args.service)) tagList.push(`service:${args.service.value}`)
      if (Option.isSome(args.source)) tagList.push(`source:${args.source.value}`)
      const bad = tagList.find((t) => t.includes(","))
      if (bad !== undefined) return yield* new UsageError({ message: `--service/--source: '${bad}' contains ',' (the wire joins tags with ',')` })
      if (args.compression === "zstd" && typeof (Zlib as { zstdCompressSync?: unknown }).zstdCompressSync !== "function") {
        return yield* new UsageError({ message: `--compression zstd needs Node.js >= 22.15 (this is ${process.version}); use --compression identity` })
      }
      const config = yield* Effect.mapError(decodeSenderConfig({
        workers: args.workers,
        encoding: args.compression,
        compressionLevel: args.compressionLevel,
        batchMaxEntries: args.batchMaxEntries,
        patternExtraction: args.patterns,
        machine: { shutdownTimeoutMs: args.shutdownTimeout }
      }), (e) => new UsageError({ message: e.message }))
      const tls = yield* readTlsFiles({
        caFile: Option.getOrUndefined(args.tlsCa),
        certFile: Option.getOrUndefined(args.tlsCert),
        keyFile: Option.getOrUndefined(args.tlsKey),
        serverName: Option.getOrUndefined(args.tlsServerName)
      })
      const template = { tags: tagList, status: Option.getOrUndefined(args.status) }
      const counters: Counters = { linesRead: 0 }

      // A signal (SIGINT/SIGTERM interrupts this fiber) stops at once: the sender is aborted while it still
      // exists, the summary is printed, and the exit status says the input was not all delivered.
      let interrupted: SendReport | undefined
      const report = yield* Effect.gen(function*() {
        const sender = yield* LogsSender
        yield* Effect.addFinalizer((exit) =>
          Exit.isInterrupted(exit)
            ? Effect.flatMap(sender.abort, (r) => Effect.sync(() => { interrupted = r }))
            : Effect.void
        )
        const tty = process.stderr.isTTY === true
        const progress = tty
          ? yield* showProgress(sender, counters).pipe(Effect.interruptible, Effect.forkScoped)
          : undefined
        yield* shutdownOnFailure(sender).pipe(Effect.interruptible, Effect.forkScoped)
        const inputs = args.files.length === 0 ? [undefined] : args.files
        for (const input of inputs) {
          if (!(yield* shipInput(input, sender, template, counters))) break
        }
        const report = yield* sender.shutdown
        if (progress !== undefined) {
          yield* Fiber.interrupt(progress)
          yield* Effect.flatMap(sender.status, (st) => progressLine(st, counters))
          process.stderr.write("\n")
        }
        return report
      }).pipe(
        Effect.scoped,
        Effect.provide(layerSenderGrpc(config, { host, port, apiKey: key, insecure: args.insecure, tls })),
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            if (interrupted === undefined) return
            process.stderr.write(JSON.stringify({ ok: false, interrupted: true, ...summary(interrupted, counters) }) + "\n")
            process.exitCode = 1
          })
        )
      )

      const s = summary(report, counters)
      if (report.complete && s.notAccepted === 0) {
        yield* Console.error(JSON.stringify({ ok: true, ...s }))
        return
      }
      return yield* new LogsSendIncomplete({
        message: `not every line was acknowledged: ${JSON.stringify(s)}`
      })
    })
).pipe(Command.withDescription("ship log lines over the stateful stream; exit 0 only when all are acknowledged"))

export const logsCommand = Command.make("logs").pipe(
  Command.withDescription("the stateful logs stream"),
  Command.withSubcommands([logsSendCommand])
)

