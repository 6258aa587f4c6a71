/**
 * Portable classifier: starts reading the held connection and looks at what Node buffered, without
 * taking it out of the buffer. The bytes are no longer in the kernel, so the handover drains them
 * and passes them to the agent as a prefix (through a pipe), which the agent must put back in front
 * of the connection (`adoptInheritedSockets` does). Trade-off: needs a cooperating agent; a stock
 * trace agent only understands an untouched descriptor, which the /proc classifier keeps.
 * The watching itself is the idle phase's (idle/IdleClassifier.ts); this is its Effect port.
 */
import type * as Net from "node:net"
import { Effect } from "effect"
import type { ConnectionClassifier, HeldConnectionRef } from "../../services/loader/Classifier.js"
import { Classification } from "../../services/loader/Policy.js"
import { watchReading } from "./idle/IdleClassifier.js"

export { drainBuffered } from "./idle/IdleClassifier.js"

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
      const stop = watchReading(socket, (c) => resume(Effect.succeed(c)))
      return Effect.sync(stop)
    })
})
