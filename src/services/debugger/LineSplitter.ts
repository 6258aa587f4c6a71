/**
 * Pure, bounded JSON-lines splitter: text chunks in, lines out, never buffering more than `maxLength`
 * characters of one line. A longer line is reported as too long (its rest is skipped), so one oversized
 * line costs neither unbounded memory nor the lines after it.
 */
export type SplitLine = { readonly _tag: "Line"; readonly text: string } | { readonly _tag: "TooLong"; readonly length: number }

export interface SplitState {
  readonly pending: string
  /** Characters seen of the current line when it is already known to be too long, else -1. */
  readonly skipped: number
}

export const initialSplit: SplitState = { pending: "", skipped: -1 }

/** Feeds one chunk (or `undefined` at end of input) and returns the complete lines it closes. */
export const splitChunk = (
  state: SplitState,
  chunk: string | undefined,
  maxLength: number
): readonly [SplitState, ReadonlyArray<SplitLine>] => {
  const out: Array<SplitLine> = []
  let pending = state.pending
  let skipped = state.skipped
  const emit = (line: string) => {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line
    out.push({ _tag: "Line", text })
  }
  if (chunk === undefined) {
    if (skipped >= 0) out.push({ _tag: "TooLong", length: skipped })
    else if (pending !== "") emit(pending)
    return [initialSplit, out]
  }
  let start = 0
  for (let nl = chunk.indexOf("\n"); nl >= 0; nl = chunk.indexOf("\n", start)) {
    const piece = chunk.slice(start, nl)
    if (skipped >= 0) out.push({ _tag: "TooLong", length: skipped + piece.length })
    else if (pending.length + piece.length > maxLength) out.push({ _tag: "TooLong", length: pending.length + piece.length })
    else emit(pending + piece)
    pending = ""
    skipped = -1
    start = nl + 1
  }
  const rest = chunk.slice(start)
  if (skipped >= 0) skipped += rest.length
  else if (pending.length + rest.length > maxLength) {
    skipped = pending.length + rest.length
    pending = ""
  } else pending += rest
  return [{ pending, skipped }, out]
}
