/**
 * Typing of a dynamic value's text. A value is sent as `int_value` only when rendering the integer gives back
 * the exact text: canonical decimal (no leading zeros, no `+`, no `-0`) within int64; beyond 2^53 it is a
 * bigint, so the value crosses the wire exactly. A float is used only where the shortest round-trip decimal
 * reproduces the text and the 8-byte double is smaller than the text. Everything else is a string.
 */

const int64Max = "9223372036854775807"
const int64MinAbs = "9223372036854775808"

/**
 * The integer the text `s[start, end)` denotes when its decimal rendering is exactly that text and it fits
 * int64; otherwise undefined.
 */
export const exactInt = (s: string, start: number, end: number): number | bigint | undefined => {
  const negative = s.charCodeAt(start) === 45
  const first = negative ? start + 1 : start
  const digits = end - first
  if (digits <= 0 || digits > 19) return undefined
  const lead = s.charCodeAt(first)
  // "0" alone is canonical; "-0", "007" and "-05" are not.
  if (lead === 48 && (digits > 1 || negative)) return undefined
  if (digits <= 15) {
    let v = 0
    for (let i = first; i < end; i++) {
      const c = s.charCodeAt(i)
      if (c < 48 || c > 57) return undefined
      v = v * 10 + (c - 48)
    }
    return negative ? -v : v
  }
  const text = s.slice(first, end)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  // Same length decimal strings compare like the numbers they denote.
  if (digits === 19 && text > (negative ? int64MinAbs : int64Max)) return undefined
  const v = BigInt(negative ? "-" + text : text)
  return Number.isSafeInteger(Number(v)) ? Number(v) : v
}

/** Bytes of `v` as a protobuf int64 varint: a negative value always takes ten. */
export const int64VarintSize = (v: number | bigint): number => {
  if (v < 0) return 10
  if (typeof v === "number" && v < 268435456) return varintSize(v)
  let n = 1
  let x = typeof v === "bigint" ? v : BigInt(v)
  while (x >= 128n) {
    x >>= 7n
    n++
  }
  return n
}

/** Varint size of a non-negative safe integer (ids, lengths). */
export const varintSize = (v: number): number => (v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : v < 268435456 ? 4 : 5)

/** The double whose shortest round-trip decimal is exactly `text`, when that saves bytes over the text. */
export const exactFloat = (text: string): number | undefined => {
  // A double takes 8 bytes on the wire: only longer decimals gain.
  if (text.length <= 8) return undefined
  const v = Number(text)
  return Number.isFinite(v) && String(v) === text ? v : undefined
}
