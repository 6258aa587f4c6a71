/**
 * Structured-log templates: a template with its dynamic values removed, and the UTF-8 byte offsets where
 * they go back in. Compiling a pattern splits the template into the literal segments between offsets, so a
 * rebuild is one string concatenation.
 */

export interface CompiledPattern {
  readonly template: string
  readonly paramCount: number
  /** `paramCount + 1` literal segments; value i goes between segment i and i + 1. */
  readonly segments: ReadonlyArray<string>
}

export type PatternIssue =
  | { readonly reason: "ParamCountMismatch"; readonly message: string }
  | { readonly reason: "PosListNotAscending"; readonly message: string }
  | { readonly reason: "PosListOutOfRange"; readonly message: string }

const utf8 = new TextEncoder()

/** Validates `pos_list` against the template and splits the template at the offsets. */
export const compilePattern = (
  template: string,
  paramCount: number,
  posList: ReadonlyArray<number>
): CompiledPattern | PatternIssue => {
  if (paramCount !== posList.length) {
    return {
      reason: "ParamCountMismatch",
      message: `param_count ${paramCount} differs from the ${posList.length} offsets in pos_list`
    }
  }
  for (let i = 1; i < posList.length; i++) {
    if (posList[i]! < posList[i - 1]!) {
      return {
        reason: "PosListNotAscending",
        message: `pos_list is not ascending: offset ${posList[i]} at index ${i} follows ${posList[i - 1]}`
      }
    }
  }
  // Fast path: an ASCII template has byte offsets equal to string indexes.
  let ascii = true
  for (let i = 0; i < template.length; i++) {
    if (template.charCodeAt(i) > 0x7f) {
      ascii = false
      break
    }
  }
  const segments: Array<string> = []
  if (ascii) {
    let prev = 0
    for (const pos of posList) {
      if (pos > template.length) return outOfRange(pos, template.length)
      segments.push(template.slice(prev, pos))
      prev = pos
    }
    segments.push(template.slice(prev))
    return { template, paramCount, segments }
  }
  const bytes = utf8.encode(template)
  const decoder = new TextDecoder("utf-8", { fatal: true })
  let prev = 0
  for (const pos of posList) {
    if (pos > bytes.length) return outOfRange(pos, bytes.length)
    // A continuation byte (10xxxxxx) at the offset means the offset splits a character.
    if (pos < bytes.length && (bytes[pos]! & 0xc0) === 0x80) {
      return {
        reason: "PosListOutOfRange",
        message: `pos_list offset ${pos} falls inside a UTF-8 character of the template`
      }
    }
    segments.push(decoder.decode(bytes.subarray(prev, pos)))
    prev = pos
  }
  segments.push(decoder.decode(bytes.subarray(prev)))
  return { template, paramCount, segments }
}

const outOfRange = (pos: number, length: number): PatternIssue => ({
  reason: "PosListOutOfRange",
  message: `pos_list offset ${pos} is past the end of the template (${length} UTF-8 bytes)`
})

/** Inserts rendered values into a compiled pattern. */
export const rebuild = (pattern: CompiledPattern, rendered: ReadonlyArray<string>): string => {
  const segs = pattern.segments
  let out = segs[0]!
  for (let i = 0; i < rendered.length; i++) out += rendered[i]! + segs[i + 1]!
  return out
}
