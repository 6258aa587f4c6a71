/** Settings of the logs sender, with the contract's and the issue's defaults, validated by one Schema. */
import { Either, ParseResult, Schema } from "effect"
import { defaultBatcherConfig } from "./Batcher.js"
import type { ContentEncoding } from "./ContentEncoding.js"
import { defaultDictionaryLimits, type DictionaryLimits } from "./Dictionary.js"
import { defaultInflightLimits, type InflightLimits } from "./InflightTracker.js"
import { SenderConfigError } from "./errors.js"
import { defaultMachineConfig, type MachineConfig } from "./StreamWorkerMachine.js"

export interface SenderConfig {
  /** Stream workers sharing one channel, fed round-robin. */
  readonly workers: number
  /** One value drives the batch compressor, the snapshot compressor and `dd-content-encoding`. */
  readonly encoding: ContentEncoding
  readonly compressionLevel: number
  /** Send logs as patterns plus typed values (`patterns/PatternContent.ts`) instead of raw text. */
  readonly patternExtraction: boolean
  readonly batchMaxEntries: number
  readonly batchMaxContentBytes: number
  readonly batchMaxWaitMs: number
  readonly inflight: InflightLimits
  readonly dictionary: DictionaryLimits
  readonly machine: MachineConfig
  /**
   * Chunks of logs buffered ahead of each worker (producers wait when it is full). One: when the intake is the
   * slower side, buffered lines wait long enough to be promoted to V8's old generation and die there; the
   * inflight tracker (compressed, off the JS heap) is the buffer that keeps the stream busy.
   */
  readonly inputQueueChunks: number
  /** After a half-close, how long to wait for the server's status before cancelling the call. */
  readonly halfCloseGraceMs: number
}

export const defaultSenderConfig: SenderConfig = {
  workers: 1,
  encoding: "zstd",
  compressionLevel: 1,
  patternExtraction: false,
  batchMaxEntries: defaultBatcherConfig.maxEntries,
  batchMaxContentBytes: defaultBatcherConfig.maxContentBytes,
  batchMaxWaitMs: 5_000,
  inflight: defaultInflightLimits,
  dictionary: defaultDictionaryLimits,
  machine: defaultMachineConfig,
  inputQueueChunks: 1,
  halfCloseGraceMs: 2_000
}

export interface SenderConfigInput extends Partial<Omit<SenderConfig, "inflight" | "dictionary" | "machine">> {
  readonly inflight?: Partial<InflightLimits>
  readonly dictionary?: Partial<DictionaryLimits>
  readonly machine?: Partial<MachineConfig>
}

const PositiveInt = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1), Schema.annotations({ message: () => "expected a positive integer" }))
const orDefault = <S extends Schema.Schema.Any>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: value, exact: true })

const InflightLimitsSchema = Schema.Struct({
  maxPayloads: orDefault(PositiveInt, () => defaultInflightLimits.maxPayloads),
  maxBytes: orDefault(PositiveInt, () => defaultInflightLimits.maxBytes)
})
const DictionaryLimitsSchema = Schema.Struct({
  maxEntries: orDefault(PositiveInt, () => defaultDictionaryLimits.maxEntries),
  maxBytes: orDefault(PositiveInt, () => defaultDictionaryLimits.maxBytes)
})
const m = defaultMachineConfig
const MachineConfigSchema = Schema.Struct({
  streamLifetimeMs: orDefault(PositiveInt, () => m.streamLifetimeMs),
  lifetimeJitter: orDefault(Schema.Number.pipe(Schema.greaterThanOrEqualTo(0), Schema.lessThan(1)), () => m.lifetimeJitter),
  drainTimeoutMs: orDefault(PositiveInt, () => m.drainTimeoutMs),
  backoffBaseMs: orDefault(PositiveInt, () => m.backoffBaseMs),
  backoffMaxMs: orDefault(PositiveInt, () => m.backoffMaxMs),
  ackTimeoutMs: orDefault(PositiveInt, () => m.ackTimeoutMs),
  maxProtocolErrors: orDefault(Schema.Int.pipe(Schema.nonNegative()), () => m.maxProtocolErrors),
  shutdownTimeoutMs: orDefault(PositiveInt, () => m.shutdownTimeoutMs),
  sendWindow: orDefault(PositiveInt, () => m.sendWindow)
}).pipe(Schema.filter((c) => c.backoffMaxMs >= c.backoffBaseMs || { path: ["backoffMaxMs"], message: "must be >= backoffBaseMs" }))

const d = defaultSenderConfig

/** The sender's settings: every field optional in the encoded form (the defaults apply), checked in one decode. */
export const SenderConfigSchema = Schema.Struct({
  workers: orDefault(PositiveInt, () => d.workers),
  encoding: orDefault(Schema.Literal("zstd", "identity"), () => "zstd" as const),
  compressionLevel: orDefault(Schema.Int.pipe(Schema.between(1, 22)), () => d.compressionLevel),
  patternExtraction: orDefault(Schema.Boolean, () => d.patternExtraction),
  batchMaxEntries: orDefault(PositiveInt, () => d.batchMaxEntries),
  batchMaxContentBytes: orDefault(PositiveInt, () => d.batchMaxContentBytes),
  batchMaxWaitMs: orDefault(PositiveInt, () => d.batchMaxWaitMs),
  inflight: orDefault(InflightLimitsSchema, () => d.inflight),
  dictionary: orDefault(DictionaryLimitsSchema, () => d.dictionary),
  machine: orDefault(MachineConfigSchema, () => d.machine),
  inputQueueChunks: orDefault(PositiveInt, () => d.inputQueueChunks),
  halfCloseGraceMs: orDefault(Schema.Number.pipe(Schema.nonNegative()), () => d.halfCloseGraceMs)
})

/** Applies defaults and checks every setting; the first broken rule is a typed error naming the setting. */
export const decodeSenderConfig = (input: SenderConfigInput = {}): Either.Either<SenderConfig, SenderConfigError> =>
  Schema.decodeUnknownEither(SenderConfigSchema, { onExcessProperty: "error" })(input).pipe(
    Either.mapLeft((e) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(e)[0]!
      const setting = issue.path.map(String).join(".")
      const message = issue._tag === "Unexpected" ? "unknown setting" : issue.message
      return new SenderConfigError({ setting, message: `${setting}: ${message}` })
    })
  )
