/**
 * Hand-built contract-A protobuf for tests that need values the sender's encoder cannot express: 64-bit
 * integers beyond 2^53, over-long varints, unknown fields. Field numbers are the contract's.
 */

/** A varint of any unsigned value (two's complement for negative int64). */
export const varint = (value: bigint): Buffer => {
  let v = BigInt.asUintN(64, value)
  const out: Array<number> = []
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return Buffer.from(out)
}

export const zigzag = (v: bigint): bigint => BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))

const key = (field: number, wireType: number) => varint(BigInt((field << 3) | wireType))

export const varintField = (field: number, value: bigint) => Buffer.concat([key(field, 0), varint(value)])
export const bytesField = (field: number, bytes: Buffer | string) => {
  const b = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes
  return Buffer.concat([key(field, 2), varint(BigInt(b.length)), b])
}

/** DynamicValue members. */
export const intValue = (v: bigint) => varintField(1, v)
export const dictIndex = (id: bigint) => varintField(4, id)
export const stringValue = (s: string) => bytesField(3, s)

/** Datum members wrapped as one `DatumSequence.data` entry. */
const datum = (member: number, body: Buffer) => bytesField(1, bytesField(member, body))
export const dictDefine = (id: bigint, value: string) => datum(3, Buffer.concat([varintField(1, id), bytesField(2, value)]))
export const patternDefine = (id: bigint, template: string, posList: ReadonlyArray<number>) =>
  datum(1, Buffer.concat([
    varintField(1, id),
    bytesField(2, template),
    varintField(3, BigInt(posList.length)),
    ...posList.map((p) => varintField(4, BigInt(p)))
  ]))
export const rawLog = (timestamp: bigint, raw: string, extra: Buffer = Buffer.alloc(0)) =>
  datum(6, Buffer.concat([varintField(1, zigzag(timestamp)), bytesField(3, raw), extra]))
export const structuredLog = (timestamp: bigint, patternId: bigint, values: ReadonlyArray<Buffer>) =>
  datum(6, Buffer.concat([
    varintField(1, zigzag(timestamp)),
    bytesField(2, Buffer.concat([varintField(1, patternId), ...values.map((v) => bytesField(2, v))]))
  ]))
/** Log.tags as a TagSet holding `value`. */
export const logTags = (value: Buffer) => bytesField(4, bytesField(1, value))
