import { Data, Effect, Either } from "effect"
import { decodeHostPort } from "../services/config/HostPort.js"

/** A command-line value that breaks a rule; the message names the flag. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

export class HostPortError extends Data.TaggedError("HostPortError")<{ readonly message: string }> {}

/** Parses a `HOST:PORT` flag with the configuration's `HostPort` schema; the error names the flag and the rule. */
export const parseHostPort = (value: string, flag: string) =>
  Effect.suspend(() =>
    Either.match(decodeHostPort(value), {
      onLeft: (rule) => Effect.fail(new HostPortError({ message: `${flag}: ${rule}, got '${value}'` })),
      onRight: Effect.succeed
    })
  )
