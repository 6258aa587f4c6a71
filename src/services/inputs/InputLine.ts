import type { Effect } from "effect"
import type { SourcePosition } from "../logs/LogMessage.js"

/** A line read by a log input, on its way to the sender. */
export interface InputLine {
  readonly text: string
  /** Unix ms when the line was read. */
  readonly timestamp: number
  /** `service:`, `source:` and the input's own tags. */
  readonly tags: ReadonlyArray<string>
  /** Where a file line came from (its file and the byte offset just past it), for error messages. */
  readonly origin?: { readonly file: string; readonly endOffset: number } | undefined
}

export type { SourcePosition }

/**
 * Where inputs deliver lines, a chunk at a time; waiting here is the backpressure that slows reading. An input
 * that records its progress (files) gives the chunk's `position`: the consumer reports it back, as data, once
 * the chunk's lines are settled, and the input's registry advances from those reports (never from callbacks).
 */
export type LineSink = (lines: ReadonlyArray<InputLine>, position?: SourcePosition) => Effect.Effect<void>

/** The tags an input attaches to every line. */
export const inputTags = (input: { readonly service?: string | undefined; readonly source?: string | undefined; readonly tags?: ReadonlyArray<string> | undefined }) => [
  ...(input.service !== undefined ? [`service:${input.service}`] : []),
  ...(input.source !== undefined ? [`source:${input.source}`] : []),
  ...(input.tags ?? [])
]
