/**
 * The one `HOST:PORT` syntax of the project (IPv6 as `[::1]:PORT`), as a Schema from the string to
 * `{ host, port }`: configuration keys and command-line flags decode with it, so they accept and refuse the
 * same values with the same message.
 */
import { Either, ParseResult, Schema } from "effect"

const syntax = /^(?:\[([^\]]+)\]|([^:\s\[\]]+)):(\d{1,5})$/
export const hostPortRule = "expected HOST:PORT with a port from 0 to 65535"

export interface HostPortValue {
  readonly host: string
  readonly port: number
}

/** `HOST:PORT` ⇄ `{ host, port }`. */
export const HostPort: Schema.Schema<HostPortValue, string> = Schema.transformOrFail(
  Schema.String,
  Schema.Struct({ host: Schema.String, port: Schema.Int.pipe(Schema.between(0, 65535)) }),
  {
    strict: true,
    decode: (s, _, ast) => {
      const m = syntax.exec(s.trim())
      const port = m === null ? NaN : Number(m[3])
      return m === null || port > 65535
        ? ParseResult.fail(new ParseResult.Type(ast, s, hostPortRule))
        : ParseResult.succeed({ host: (m[1] ?? m[2])!, port })
    },
    encode: ({ host, port }) => ParseResult.succeed(host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`)
  }
).annotations({ identifier: "HostPort", description: "HOST:PORT" })

/** Decodes a `HOST:PORT` string; the error is the rule it broke. */
export const decodeHostPort = (value: string): Either.Either<HostPortValue, string> =>
  Either.mapLeft(Schema.decodeEither(HostPort)(value), () => hostPortRule)

/** Whether a host name or address only reaches this machine. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host) || /^::ffff:127(?:\.\d{1,3}){3}$/i.test(host)
