import { Data, Effect } from "effect"

/** A command-line value that breaks a rule; the message names the flag. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

export class HostPortError extends Data.TaggedError("HostPortError")<{ readonly message: string }> {}

/** Parses `HOST:PORT` (IPv6 as `[::1]:PORT`); the error names the flag and the rule. */
export const parseHostPort = (value: string, flag: string) =>
  Effect.suspend(() => {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim())
    const port = m ? Number(m[3]) : NaN
    if (!m || port > 65535) {
      return Effect.fail(new HostPortError({ message: `${flag}: expected HOST:PORT with a port from 0 to 65535, got '${value}'` }))
    }
    return Effect.succeed({ host: (m[1] ?? m[2])!, port })
  })
