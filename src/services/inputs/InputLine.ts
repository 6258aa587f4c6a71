/** A line read by a log input, on its way to the sender. */
export interface InputLine {
  readonly text: string
  /** Unix ms when the line was read. */
  readonly timestamp: number
  /** `service:`, `source:` and the input's own tags. */
  readonly tags: ReadonlyArray<string>
  /** Where a file line came from (its file and the byte offset just past it), for error messages. */
  readonly origin?: { readonly file: string; readonly endOffset: number } | undefined
  /** Called once the line is acknowledged by the intake (advances the file's registry offset). */
  readonly onAck?: (() => void) | undefined
}

/** Where inputs deliver lines; waiting here is the backpressure that slows reading. */
export type LineSink = (lines: ReadonlyArray<InputLine>) => import("effect").Effect.Effect<void>

/** The tags an input attaches to every line. */
export const inputTags = (input: { readonly service?: string | undefined; readonly source?: string | undefined; readonly tags?: ReadonlyArray<string> | undefined }) => [
  ...(input.service !== undefined ? [`service:${input.service}`] : []),
  ...(input.source !== undefined ? [`source:${input.source}`] : []),
  ...(input.tags ?? [])
]
