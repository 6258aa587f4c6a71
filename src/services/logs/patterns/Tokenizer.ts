/**
 * A single-pass scanner that splits a log line into tokens for clustering. Words (runs of ASCII letters,
 * digits and `_`, non-ASCII and control characters) are the positions that may vary; everything else —
 * whitespace runs and single punctuation characters — is a delimiter, kept literally in a template. A run of
 * letters followed by digits splits in two (`blk_` + `123`), and a `-` that starts a number (not preceded by
 * a letter or digit) belongs to it. Alongside the tokens it computes a hash of the line's shape (the delimiters
 * and the kind of each word) and a hash of each word's text. Pure; the buffers are reused between lines, so a
 * scan allocates nothing.
 */

/** Kind of a word token. Delimiters are implicit: the text between consecutive words. */
export const WordKind = { Number: 1, Letters: 2, Mixed: 3 } as const

/** Lines with more words than this are not tokenized (they go raw). */
export const maxWords = 512

export class Tokens {
  /** Number of words in the last scanned line. */
  count = 0
  /** UTF-16 offsets of each word: `[start[i], end[i])`. */
  readonly start = new Int32Array(maxWords)
  readonly end = new Int32Array(maxWords)
  readonly kind = new Uint8Array(maxWords)
  /** Hash of each word's text. */
  readonly hash = new Int32Array(maxWords)
  /** Hash of the delimiters and word kinds, in order (30 bits, a small integer). */
  shape = 0
  /** True if the line holds only ASCII characters (UTF-16 offsets equal UTF-8 offsets). */
  ascii = true
  /** False if the line holds a lone surrogate, which UTF-8 cannot carry exactly. */
  wellFormed = true
}

// Character classes for ASCII: 0 delimiter, 1 digit, 2 letter or '_', 3 whitespace.
const cls = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  if (c >= 48 && c <= 57) cls[c] = 1
  else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) cls[c] = 2
  else if (c === 32 || c === 9) cls[c] = 3
  // Other control characters are word characters: they never collide with the kind markers of the shape.
  else if (c < 32 || c === 127) cls[c] = 2
}

const isDigitAt = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i)
  return c >= 48 && c <= 57
}

/** Letters, digits and non-ASCII: a '-' after them separates, it is no sign (`a-5`, but `blk_-5`). */
const isAlphanumericAt = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i)
  return c >= 128 || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

const mix = (h: number, v: number): number => Math.imul(h ^ v, 0x01000193)

/**
 * Scans `line` into `t`. Returns false when the line cannot be tokenized (too many words); `t` is then
 * unspecified.
 */
export const scan = (line: string, t: Tokens): boolean => {
  const n = line.length
  let count = 0
  let shape = 0x811c9dc5
  let ascii = true
  let wellFormed = true
  let i = 0
  while (i < n) {
    let c = line.charCodeAt(i)
    let k = c < 128 ? cls[c]! : 2
    if (k === 0 || k === 3) {
      // A '-' directly before a digit starts a negative number unless it follows a word character.
      if (c === 45 && isDigitAt(line, i + 1) && (i === 0 || !isAlphanumericAt(line, i - 1))) {
        k = 1
      } else if (k === 3) {
        // A whitespace run is one delimiter; its exact text is part of the shape.
        shape = mix(shape, c)
        i++
        while (i < n && (c = line.charCodeAt(i)) < 128 && cls[c] === 3) {
          shape = mix(shape, c)
          i++
        }
        continue
      } else {
        shape = mix(shape, c)
        i++
        continue
      }
    }
    if (count === maxWords) return false
    // A word: digits, letters, or a mix. Letters then digits split into two words (`blk_` + `123`).
    const start = i
    let h = 0x811c9dc5
    let digits = false
    let letters = false
    if (c === 45) {
      h = mix(h, c)
      i++
      c = line.charCodeAt(i)
    }
    while (true) {
      if (c < 128) {
        const kc = cls[c]!
        if (kc === 1) {
          if (letters && !digits) {
            // Letters followed by a digit: end the letters word here, unless more letters follow the digits
            // (`md5sum`, `x86_64` stay whole).
            let j = i + 1
            let d: number
            while (j < n && (d = line.charCodeAt(j)) < 128 && cls[d] === 1) j++
            const after = j < n ? line.charCodeAt(j) : 32
            if (after >= 128 || cls[after] === 2) {
              digits = true
            } else break
          } else digits = true
        } else if (kc === 2) {
          letters = true
        } else break
      } else {
        ascii = false
        letters = true
        if (c >= 0xd800 && c <= 0xdfff) {
          // A high surrogate must be followed by a low one; a low one must follow a high one.
          if (c <= 0xdbff) {
            const next = i + 1 < n ? line.charCodeAt(i + 1) : 0
            if (next >= 0xdc00 && next <= 0xdfff) {
              h = mix(h, c)
              i++
              c = next
            } else wellFormed = false
          } else wellFormed = false
        }
      }
      h = mix(h, c)
      i++
      if (i >= n) break
      c = line.charCodeAt(i)
    }
    const kind = letters ? (digits ? WordKind.Mixed : WordKind.Letters) : WordKind.Number
    t.start[count] = start
    t.end[count] = i
    t.kind[count] = kind
    t.hash[count] = h
    count++
    shape = mix(shape, 0x10000 + kind)
  }
  t.count = count
  t.shape = (shape >>> 2) & 0x3fffffff
  t.ascii = ascii
  t.wellFormed = wellFormed
  return true
}
