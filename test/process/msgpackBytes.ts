/** A hand-rolled msgpack writer for tests: builds payloads a library encoder will not (duplicate keys, bin, nil). */
const bytes = (...parts: ReadonlyArray<Uint8Array | ReadonlyArray<number>>): Uint8Array => {
  const out: Array<number> = []
  for (const p of parts) out.push(...p)
  return Uint8Array.from(out)
}
export const nil = bytes([0xc0])
export const bool = (b: boolean) => bytes([b ? 0xc3 : 0xc2])
export const uint = (n: number): Uint8Array =>
  n < 128 ? bytes([n]) : n < 256 ? bytes([0xcc, n]) : n < 65536 ? bytes([0xcd, n >> 8, n & 255]) : bytes([0xce, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255])
export const negint = (n: number) => bytes([0xd0, n & 255])
export const float = (f: number) => {
  const b = new Uint8Array(9)
  b[0] = 0xcb
  new DataView(b.buffer).setFloat64(1, f)
  return b
}
export const str = (s: string): Uint8Array => {
  const b = new TextEncoder().encode(s)
  if (b.length < 32) return bytes([0xa0 | b.length], b)
  if (b.length < 256) return bytes([0xd9, b.length], b)
  if (b.length < 65536) return bytes([0xda, b.length >> 8, b.length & 255], b)
  return bytes([0xdb, (b.length >>> 24) & 255, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255], b)
}
export const bin = (b: ReadonlyArray<number>) => bytes([0xc4, b.length], b)
export const arr = (...items: ReadonlyArray<Uint8Array>) => bytes([0x90 | items.length], ...items)
/** A map with the entries in the given order (keys may repeat). */
export const map = (...entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>) =>
  bytes(
    entries.length < 16 ? [0x80 | entries.length] : [0xde, entries.length >> 8, entries.length & 255],
    ...entries.flatMap(([k, v]) => [k, v])
  )
export const kv = (k: string, v: Uint8Array) => [str(k), v] as const
export const concat = (...parts: ReadonlyArray<Uint8Array>) => bytes(...parts)
