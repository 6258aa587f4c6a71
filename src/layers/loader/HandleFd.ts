/**
 * Raw descriptor of a Node server or socket. Node has no public API for it; libuv stream handles
 * expose `fd` on Linux and macOS (`_handle.fd`), which is what spawn's stdio slots and fstat need.
 */
import type * as Net from "node:net"
import { Either } from "effect"
import { DescriptorError } from "../../services/loader/errors.js"

interface WithHandle {
  readonly _handle?: { readonly fd?: unknown } | null
}

export const handleFd = (what: string, h: Net.Server | Net.Socket): Either.Either<number, DescriptorError> => {
  const fd = (h as unknown as WithHandle)._handle?.fd
  return typeof fd === "number" && Number.isInteger(fd) && fd >= 0
    ? Either.right(fd)
    : Either.left(
      new DescriptorError({ what, message: `${what} has no open file descriptor (closed, or not a libuv stream)` })
    )
}
