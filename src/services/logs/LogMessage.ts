/** A log as the sender receives it, before translation into datums. */
export interface LogMessage {
  /** The log text (sent as `raw` content). */
  readonly content: string
  /** Unix milliseconds. */
  readonly timestamp: number
  /**
   * Tags such as `service:web`. The contract joins them with ",", so a tag may not contain ","
   * (such a log is rejected with `LogRejected { reason: "TagContainsComma" }`). Treated as immutable: the
   * translator reuses the joined string while consecutive logs pass the same array.
   */
  readonly tags: ReadonlyArray<string>
  readonly status?: string | undefined
  readonly uuid?: string | undefined
}

/**
 * Where a chunk of logs came from: a source of the input's choosing (e.g. one file as read from one place) and
 * the byte range `[start, end)` the chunk's lines cover. Handed to the sender with the chunk and reported back,
 * as data, once every log of the chunk is settled (acknowledged by the intake, or rejected by the sender).
 */
export interface SourcePosition {
  readonly source: number
  readonly start: number
  readonly end: number
}
