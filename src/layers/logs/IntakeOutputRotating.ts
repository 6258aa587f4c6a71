/** An `IntakeOutput` writing JSON lines to a file rotated by size (the agent's embedded intake: bounded on disk). */
import { Effect, Layer } from "effect"
import { IntakeOutput, IntakeOutputError } from "../../services/logs/IntakeOutput.js"
import { toJsonLines } from "../../services/logs/IntakeRecord.js"
import { makeRotatingFile, type RotatingFileOptions } from "../RotatingFile.js"

export const layerRotatingFile = (options: RotatingFileOptions) =>
  Layer.scoped(
    IntakeOutput,
    Effect.gen(function*() {
      const toOutputError = (e: { readonly message: string; readonly cause?: unknown }) =>
        new IntakeOutputError({ target: options.path, message: e.message, cause: e.cause })
      const file = yield* makeRotatingFile(options).pipe(Effect.mapError(toOutputError))
      return IntakeOutput.of({
        write: (batch) => file.write(Buffer.concat(toJsonLines(batch))).pipe(Effect.mapError(toOutputError))
      })
    })
  )
