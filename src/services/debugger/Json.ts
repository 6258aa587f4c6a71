/**
 * Small JSON text helpers for the hand-written encoder: quoting, UTF-8 lengths, code-point cuts.
 */

interface WellFormable {
  isWellFormed(): boolean
  toWellFormed(): string
}

/** Replaces lone surrogates by U+FFFD so the output is valid UTF-8 once written. */
export const wellFormed = (s: string): string => {
  const w = s as unknown as WellFormable
  return w.isWellFormed() ? s : w.toWellFormed()
}

/** JSON string literal of `s`, after making it well formed. */
export const quote = (s: string): string => JSON.stringify(wellFormed(s))

/** UTF-8 byte length of a well-formed string. */
export const utf8Length = (s: string): number => {
  // The native count wins on long strings; the loop avoids its call overhead on short ones.
  if (s.length > 64) return Buffer.byteLength(s, "utf8")
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff) { n += 2; i++ } // surrogate pair: 2 units → 4 bytes
    else n += 2
  }
  return n
}

/** Number of code points of `s`. */
export const codePointLength = (s: string): number => {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    n++
  }
  return n
}

/** The first `max` code points of `s` (never splits a surrogate pair). */
export const takeCodePoints = (s: string, max: number): string => {
  let i = 0
  let n = 0
  while (i < s.length && n < max) {
    const c = s.charCodeAt(i)
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1
    n++
  }
  return s.slice(0, i)
}

/** The longest prefix of `s` whose UTF-8 length is at most `maxBytes`, cut on a code-point boundary. */
export const takeUtf8Bytes = (s: string, maxBytes: number): string => {
  let bytes = 0
  let i = 0
  while (i < s.length) {
    const c = s.charCodeAt(i)
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    const b = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3
    if (bytes + b > maxBytes) break
    bytes += b
    i += pair ? 2 : 1
  }
  return s.slice(0, i)
}
