/**
 * `dd-agent intake`: the reference intake of the stateful logs stream. Prints `{"listening": PORT}` first on
 * stdout, writes reconstructed logs as JSON lines to --out (or stdout), and on SIGINT/SIGTERM finishes the
 * batches in hand, flushes, and prints a one-line JSON summary on stderr.
 */
import { Command, Options } from "@effect/cli"
import * as grpc from "@grpc/grpc-js"
import * as Fs from "node:fs"
import { Config, Console, Effect, Layer, Option, Redacted } from "effect"
import { type IntakeFaults, intakeDefaults, type IntakeStats } from "../services/logs/IntakeOptions.js"
import { layerFile, layerStdout } from "../layers/logs/IntakeOutputLive.js"
import { IntakeServer, layerIntakeServer } from "../layers/logs/IntakeServer.js"
import { parseHostPort, UsageError } from "./hostPort.js"
import { describedWithDefault } from "./optionHelp.js"

const listen = Options.text("listen").pipe(
  describedWithDefault("HOST:PORT to listen on (port 0 picks a free port)", "127.0.0.1:0")
)
const apiKey = Options.redacted("api-key").pipe(
  Options.withDescription("required dd-api-key (visible in ps: prefer --api-key-file or $DD_API_KEY); with no key at all, any non-empty key is accepted"),
  Options.optional
)
const apiKeyFile = Options.file("api-key-file", { exists: "yes" }).pipe(
  Options.withDescription("read the required dd-api-key from FILE (surrounding whitespace trimmed)"),
  Options.optional
)

/** The key from --api-key-file; an unreadable or empty file is an error naming it. */
const readKeyFile = (path: string) =>
  Effect.tryPromise({
    try: () => Fs.promises.readFile(path, "utf8"),
    catch: (cause) => new UsageError({ message: `--api-key-file: cannot read ${path}: ${(cause as Error).message}` })
  }).pipe(
    Effect.flatMap((text) => {
      const key = text.trim()
      return key === "" ? new UsageError({ message: `--api-key-file: ${path} is empty` }) : Effect.succeed(Redacted.make(key))
    })
  )
const out = Options.file("out").pipe(Options.withDescription("append logs as JSON lines to FILE (default stdout)"), Options.optional)
const maxPayload = Options.integer("max-payload-bytes").pipe(
  describedWithDefault("bytes a batch may take once decompressed", intakeDefaults.maxPayloadBytes)
)
const limit = (name: string, description: string, fallback: number) =>
  Options.integer(name).pipe(describedWithDefault(description, fallback))
const maxBatchDatums = limit("max-batch-datums", "datums one batch may hold", intakeDefaults.maxBatchDatums)
const maxBatchLogBytes = limit(
  "max-batch-log-bytes",
  "characters the reconstructed logs of one batch may hold, counting 64 more per log",
  intakeDefaults.maxBatchLogBytes
)
const maxStateBytes = limit("max-state-bytes", "bytes of dictionary and patterns one stream may hold", intakeDefaults.maxStateBytes)
const maxBufferedBytes = limit(
  "max-buffered-bytes",
  "bytes all streams' batches may hold together in memory; a stream waits (stops reading) while they are spent",
  intakeDefaults.maxBufferedBytes
)
const positive = (name: string) =>
  Options.integer(name).pipe(Options.optional)
const resetAfter = positive("reset-after-batches").pipe(Options.withDescription("fault: abort a stream with UNAVAILABLE after this many data batches"))
const resets = positive("resets").pipe(Options.withDescription("fault: number of streams reset in all (default 1)"))
const ackDelay = positive("ack-delay-ms").pipe(Options.withDescription("fault: delay every ack by this many milliseconds"))
const withhold = positive("withhold-acks-after").pipe(Options.withDescription("fault: stop acking a stream after this many acks"))
const rejectStatus = Options.text("reject-status").pipe(
  Options.withDescription("fault: reject new streams with this gRPC status (name or number)"),
  Options.optional
)
const rejectCount = positive("reject-count").pipe(Options.withDescription("fault: number of streams to reject (default 1)"))

/** Parses a gRPC status given as a number or a name such as UNAVAILABLE. */
export const parseGrpcStatus = (value: string): number | undefined => {
  if (/^\d+$/.test(value)) {
    const n = Number(value)
    return n >= 1 && n <= 16 ? n : undefined
  }
  const code = (grpc.status as unknown as Record<string, number>)[value.toUpperCase()]
  return typeof code === "number" && code !== 0 ? code : undefined
}

export const intakeCommand = Command.make(
  "intake",
  { listen, apiKey, apiKeyFile, out, maxPayload, maxBatchDatums, maxBatchLogBytes, maxStateBytes, maxBufferedBytes, resetAfter, resets, ackDelay, withhold, rejectStatus, rejectCount },
  (args) =>
    Effect.gen(function*() {
      const { host, port } = yield* parseHostPort(args.listen, "--listen")
      const faults: { -readonly [K in keyof IntakeFaults]: IntakeFaults[K] } = {}
      const setNonNegative = (key: keyof IntakeFaults, flag: string, value: Option.Option<number>) =>
        Option.match(value, {
          onNone: () => Effect.void,
          onSome: (n) =>
            n < 0 ? Effect.fail(`${flag} must be a non-negative integer, got ${n}`) : Effect.sync(() => { faults[key] = n })
        })
      yield* setNonNegative("resetAfterBatches", "--reset-after-batches", args.resetAfter)
      yield* setNonNegative("resets", "--resets", args.resets)
      yield* setNonNegative("ackDelayMs", "--ack-delay-ms", args.ackDelay)
      yield* setNonNegative("withholdAcksAfter", "--withhold-acks-after", args.withhold)
      yield* setNonNegative("rejectCount", "--reject-count", args.rejectCount)
      if (Option.isSome(args.rejectStatus)) {
        const code = parseGrpcStatus(args.rejectStatus.value)
        if (code === undefined) return yield* Effect.fail(`--reject-status: unknown gRPC status '${args.rejectStatus.value}'`)
        faults.rejectStatus = code
      }
      const limits = [
        ["--max-payload-bytes", args.maxPayload],
        ["--max-batch-datums", args.maxBatchDatums],
        ["--max-batch-log-bytes", args.maxBatchLogBytes],
        ["--max-state-bytes", args.maxStateBytes],
        ["--max-buffered-bytes", args.maxBufferedBytes]
      ] as const
      for (const [flag, n] of limits) {
        if (n <= 0) return yield* Effect.fail(`${flag} must be positive, got ${n}`)
      }
      // One key: --api-key or --api-key-file (not both), else $DD_API_KEY.
      if (Option.isSome(args.apiKeyFile) && Option.isSome(args.apiKey)) {
        return yield* Effect.fail("--api-key and --api-key-file: give the key once")
      }
      const key = Option.isSome(args.apiKeyFile)
        ? yield* readKeyFile(args.apiKeyFile.value)
        : Option.isSome(args.apiKey)
        ? Redacted.make(Redacted.value(args.apiKey.value))
        : Option.getOrUndefined(yield* Effect.orDie(Config.option(Config.redacted("DD_API_KEY"))))

      const output = Option.match(args.out, { onNone: () => layerStdout, onSome: layerFile })
      const serverLayer = layerIntakeServer({
        host,
        port,
        apiKey: key,
        maxPayloadBytes: args.maxPayload,
        maxBatchDatums: args.maxBatchDatums,
        maxBatchLogBytes: args.maxBatchLogBytes,
        maxStateBytes: args.maxStateBytes,
        maxBufferedBytes: args.maxBufferedBytes,
        faults
      }).pipe(Layer.provide(output))

      let last: IntakeStats | undefined
      yield* Effect.gen(function*() {
        const server = yield* IntakeServer
        yield* Console.log(JSON.stringify({ listening: server.port }))
        // Keep the last counters so the summary can be printed after every scope has closed.
        yield* Effect.addFinalizer(() => Effect.map(server.stats, (s) => { last = s }))
        return yield* Effect.never
      }).pipe(
        Effect.provide(serverLayer),
        Effect.scoped,
        Effect.ensuring(Effect.suspend(() => last === undefined ? Effect.void : Console.error(JSON.stringify({ summary: last }))))
      )
    }).pipe(Effect.catchIf((e): e is string => typeof e === "string", (message) => Effect.fail(new UsageError({ message }))))
).pipe(Command.withDescription("Run the reference intake of the stateful logs stream"))
