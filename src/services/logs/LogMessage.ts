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
  /**
   * Called once the log is settled: acknowledged by the intake, or rejected by the sender (it will never be
   * sent). Not called for a log still unacknowledged at shutdown. Inputs use it to advance their offsets.
   */
  readonly onDone?: ((outcome: "acked" | "rejected") => void) | undefined
}
