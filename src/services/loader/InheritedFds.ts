/**
 * Agent side of the handover: which inherited descriptors to adopt, read from the variables the
 * loader sets. Pure parsing and validation; the adopter in src/layers/loader opens them.
 */
import { Either } from "effect"
import { InheritedFdError } from "./errors.js"
import { EnvNames, FIRST_FD } from "./HandoverPlan.js"
import type { ListenerKind } from "./Policy.js"

export interface InheritedFds {
  readonly listeners: ReadonlyArray<{ readonly kind: ListenerKind; readonly fd: number; readonly variable: string }>
  readonly clients: ReadonlyArray<{ readonly listener: ListenerKind; readonly fd: number; readonly variable: string }>
  readonly reason: string | undefined
  /** The pipe carrying read prefixes of the clients (portable classifier), if any. */
  readonly prefixFd: number | undefined
}

const parseFd = (variable: string, value: string): Either.Either<number, InheritedFdError> => {
  const trimmed = value.trim()
  if (!/^\d+$/.test(trimmed)) {
    return Either.left(new InheritedFdError({ variable, value, message: "expected a decimal descriptor number" }))
  }
  const fd = Number(trimmed)
  if (fd < FIRST_FD || fd > 65535) {
    return Either.left(
      new InheritedFdError({ variable, value, message: `descriptor must be from ${FIRST_FD} to 65535 (not stdio)` })
    )
  }
  return Either.right(fd)
}

const listenerVars: ReadonlyArray<readonly [ListenerKind, string]> = [
  ["tcp", EnvNames.tcpListener],
  ["unix", EnvNames.unixListener],
  ["otlp", EnvNames.otlpListener]
]
const clientVars: ReadonlyArray<readonly [ListenerKind, string]> = [
  ["tcp", EnvNames.tcpClients],
  ["unix", EnvNames.unixClients],
  ["otlp", EnvNames.otlpClients]
]

/** Reads the loader variables; a descriptor named twice or malformed is an error naming the variable. */
export const parseInheritedFds = (
  env: Readonly<Record<string, string | undefined>>
): Either.Either<InheritedFds, InheritedFdError> =>
  Either.gen(function*() {
    const seen = new Map<number, string>()
    const claim = (variable: string, value: string, fd: number) =>
      seen.has(fd)
        ? Either.left(
          new InheritedFdError({ variable, value, message: `descriptor ${fd} is also named by ${seen.get(fd)}` })
        )
        : Either.right(seen.set(fd, variable))
    const listeners: Array<{ kind: ListenerKind; fd: number; variable: string }> = []
    for (const [kind, variable] of listenerVars) {
      const value = env[variable]
      if (value === undefined || value === "") continue
      const fd = yield* parseFd(variable, value)
      yield* claim(variable, value, fd)
      listeners.push({ kind, fd, variable })
    }
    const clients: Array<{ listener: ListenerKind; fd: number; variable: string }> = []
    for (const [listener, variable] of clientVars) {
      const value = env[variable]
      if (value === undefined || value === "") continue
      for (const part of value.split(",")) {
        const fd = yield* parseFd(variable, part)
        yield* claim(variable, value, fd)
        clients.push({ listener, fd, variable })
      }
    }
    // A loader that only sets the single-client variable (Datadog's) is understood too.
    const single = env[EnvNames.tcpClient]
    if (single !== undefined && single !== "") {
      const fd = yield* parseFd(EnvNames.tcpClient, single)
      if (!clients.some((c) => c.fd === fd)) {
        yield* claim(EnvNames.tcpClient, single, fd)
        clients.unshift({ listener: "tcp", fd, variable: EnvNames.tcpClient })
      }
    }
    const prefixValue = env[EnvNames.prefixes]
    let prefixFd: number | undefined
    if (prefixValue !== undefined && prefixValue !== "") {
      prefixFd = yield* parseFd(EnvNames.prefixes, prefixValue)
      yield* claim(EnvNames.prefixes, prefixValue, prefixFd)
    }
    return { listeners, clients, reason: env[EnvNames.reason], prefixFd }
  })
