/**
 * The prefix stream: bytes the loader read from held connections (portable classifier), passed to
 * the agent through a pipe so it can put them back in front of each connection. Format: for each
 * client, an ASCII line `<agent fd> <length>` followed by exactly `length` bytes.
 */
import { Either } from "effect"
import { InheritedFdError } from "./errors.js"

/** The loader's side (in HandoverPlan.ts, which the idle phase loads without Effect). */
export { encodePrefixes } from "./HandoverPlan.js"

export const decodePrefixes = (
  variable: string,
  data: Uint8Array
): Either.Either<ReadonlyMap<number, Buffer>, InheritedFdError> => {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const out = new Map<number, Buffer>()
  let at = 0
  while (at < buf.length) {
    const nl = buf.indexOf(0x0a, at)
    const header = nl < 0 ? "" : buf.toString("latin1", at, nl)
    const m = /^(\d+) (\d+)$/.exec(header)
    if (m === null) {
      return Either.left(new InheritedFdError({ variable, value: header, message: `malformed prefix header at byte ${at}` }))
    }
    const fd = Number(m[1])
    const length = Number(m[2])
    if (nl + 1 + length > buf.length) {
      return Either.left(
        new InheritedFdError({ variable, value: header, message: `prefix for descriptor ${fd} is truncated` })
      )
    }
    out.set(fd, buf.subarray(nl + 1, nl + 1 + length))
    at = nl + 1 + length
  }
  return Either.right(out)
}
