/** Settings of the logs sender, with the contract's and the defaults, validated in one place. */
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
  /** Chunks of logs buffered ahead of each worker (producers wait when it is full). */
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
  inputQueueChunks: 4,
  halfCloseGraceMs: 2_000
}

export interface SenderConfigInput extends Partial<Omit<SenderConfig, "inflight" | "dictionary" | "machine">> {
  readonly inflight?: Partial<InflightLimits>
  readonly dictionary?: Partial<DictionaryLimits>
  readonly machine?: Partial<MachineConfig>
}

const positiveInt = (setting: string, v: number): SenderConfigError | undefined =>
  Number.isSafeInteger(v) && v >= 1 ? undefined : new SenderConfigError({ setting, message: `${setting} must be a positive integer (got ${v})` })

/** Applies defaults and checks every setting; the first broken rule is returned as a typed error. */
export const makeSenderConfig = (input: SenderConfigInput = {}): SenderConfig | SenderConfigError => {
  const c: SenderConfig = {
    ...defaultSenderConfig,
    ...input,
    inflight: { ...defaultInflightLimits, ...input.inflight },
    dictionary: { ...defaultDictionaryLimits, ...input.dictionary },
    machine: { ...defaultMachineConfig, ...input.machine }
  }
  const checks: Array<[string, number]> = [
    ["workers", c.workers],
    ["batchMaxEntries", c.batchMaxEntries],
    ["batchMaxContentBytes", c.batchMaxContentBytes],
    ["batchMaxWaitMs", c.batchMaxWaitMs],
    ["inflight.maxPayloads", c.inflight.maxPayloads],
    ["inflight.maxBytes", c.inflight.maxBytes],
    ["dictionary.maxEntries", c.dictionary.maxEntries],
    ["dictionary.maxBytes", c.dictionary.maxBytes],
    ["inputQueueChunks", c.inputQueueChunks],
    ["machine.streamLifetimeMs", c.machine.streamLifetimeMs],
    ["machine.drainTimeoutMs", c.machine.drainTimeoutMs],
    ["machine.backoffBaseMs", c.machine.backoffBaseMs],
    ["machine.backoffMaxMs", c.machine.backoffMaxMs],
    ["machine.ackTimeoutMs", c.machine.ackTimeoutMs],
    ["machine.shutdownTimeoutMs", c.machine.shutdownTimeoutMs],
    ["machine.sendWindow", c.machine.sendWindow]
  ]
  for (const [setting, v] of checks) {
    const e = positiveInt(setting, v)
    if (e !== undefined) return e
  }
  if (c.encoding !== "zstd" && c.encoding !== "identity") {
    return new SenderConfigError({ setting: "encoding", message: `encoding must be zstd or identity (got ${String(c.encoding)})` })
  }
  if (!Number.isInteger(c.compressionLevel) || c.compressionLevel < 1 || c.compressionLevel > 22) {
    return new SenderConfigError({ setting: "compressionLevel", message: `compressionLevel must be an integer in 1..22 (got ${c.compressionLevel})` })
  }
  if (!(c.machine.lifetimeJitter >= 0 && c.machine.lifetimeJitter < 1)) {
    return new SenderConfigError({ setting: "machine.lifetimeJitter", message: `lifetimeJitter must be in [0, 1) (got ${c.machine.lifetimeJitter})` })
  }
  if (c.machine.backoffMaxMs < c.machine.backoffBaseMs) {
    return new SenderConfigError({ setting: "machine.backoffMaxMs", message: "backoffMaxMs must be >= backoffBaseMs" })
  }
  if (!(Number.isInteger(c.machine.maxProtocolErrors) && c.machine.maxProtocolErrors >= 0)) {
    return new SenderConfigError({ setting: "machine.maxProtocolErrors", message: "maxProtocolErrors must be a non-negative integer" })
  }
  if (!(c.halfCloseGraceMs >= 0)) {
    return new SenderConfigError({ setting: "halfCloseGraceMs", message: "halfCloseGraceMs must be >= 0" })
  }
  return c
}
