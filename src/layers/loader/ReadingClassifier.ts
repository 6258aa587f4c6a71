/**
 * Portable classifier: starts reading the held connection and looks at what Node buffered, without
 * taking it out of the buffer. The bytes are no longer in the kernel, so the handover drains them
 * and passes them to the agent as a prefix (through a pipe), which the agent must put back in front
 * of the connection (`adoptInheritedSockets` does). Trade-off: needs a cooperating agent; a stock
 * trace agent only understands an untouched descriptor, which the /proc classifier keeps.
 */
import type * as Net from "node:net"
import { Effect } from "effect"
import type { ConnectionClassifier, HeldConnectionRef } from "../../services/loader/Classifier.js"
import { Classification } from "../../services/loader/Policy.js"

/** A reset or broken connection is a probe that closed, not an error (Datadog treats it as one). */
const CLOSED_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT"])

export const makeReadingClassifier = (
  socketOf: (id: number) => Net.Socket | undefined
): ConnectionClassifier["Type"] => ({
  classify: (conn: HeldConnectionRef) =>
    Effect.async<Classification>((resume) => {
      const socket = socketOf(conn.id)
      if (socket === undefined) {
        resume(Effect.succeed(Classification.Unknown({ detail: `connection ${conn.id} is not held` })))
        return
      }
      const check = () => {
        if (socket.readableLength > 0) done(Classification.Data({ bytes: socket.readableLength }))
      }
      const onEnd = () => done(Classification.Closed())
      const onError = (e: NodeJS.ErrnoException) =>
        done(
          CLOSED_CODES.has(e.code ?? "")
            ? Classification.Closed()
            : Classification.Unknown({ detail: `read error: ${e.message}` })
        )
      const cleanup = () => {
        socket.off("readable", check)
        socket.off("end", onEnd)
        socket.off("close", onEnd)
        socket.off("error", onError)
      }
      const done = (c: Classification) => {
        cleanup()
        resume(Effect.succeed(c))
      }
      // A 'readable' listener reads into Node's buffer without consuming it (paused mode).
      socket.on("readable", check)
      socket.once("end", onEnd)
      socket.once("close", onEnd)
      socket.once("error", onError)
      return Effect.sync(cleanup)
    })
})

/** Bytes Node read from the connection and nobody consumed: handed to the agent as a prefix. */
export const drainBuffered = (socket: Net.Socket): Buffer => {
  const chunks: Array<Buffer> = []
  let chunk: unknown
  while ((chunk = socket.read()) !== null) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  }
  return Buffer.concat(chunks)
}
