/**
 * Handover plan: where each held socket lands in the agent (fd 3, 4, 5… in a fixed order) and the
 * environment that names them. Pure; the supervisor spawns exactly what the plan says.
 */
import type { ActivationReason, ListenerKind } from "./Policy.js"

/** Variables the loader owns. Inherited copies are removed first so a stale value never wins. */
export const EnvNames = {
  tcpListener: "DD_APM_NET_RECEIVER_FD",
  unixListener: "DD_APM_UNIX_RECEIVER_FD",
  otlpListener: "DD_OTLP_CONFIG_GRPC_FD",
  /** The first held TCP client: what a stock trace agent understands. */
  tcpClient: "DD_APM_NET_RECEIVER_CLIENT_FD",
  /** Extensions: every held client per listener, comma-separated. */
  tcpClients: "DD_APM_NET_RECEIVER_CLIENT_FDS",
  unixClients: "DD_APM_UNIX_RECEIVER_CLIENT_FDS",
  otlpClients: "DD_OTLP_CONFIG_GRPC_CLIENT_FDS",
  /** A pipe carrying bytes the loader read from held clients (portable classifier only). */
  prefixes: "DD_LOADER_CLIENT_PREFIXES_FD",
  reason: "DD_LOADER_ACTIVATION_REASON",
  absorbed: "DD_LOADER_ABSORBED_PROBES",
  waitedMs: "DD_LOADER_WAITED_MS",
  listenFds: "LISTEN_FDS",
  listenFdNames: "LISTEN_FDNAMES",
  listenPid: "LISTEN_PID"
} as const

export const managedEnvNames: ReadonlyArray<string> = Object.values(EnvNames)

/** First descriptor number after stdin, stdout and stderr. */
export const FIRST_FD = 3

const listenerOrder: ReadonlyArray<ListenerKind> = ["tcp", "unix", "otlp"]
const listenerVar: Record<ListenerKind, string> = {
  tcp: EnvNames.tcpListener,
  unix: EnvNames.unixListener,
  otlp: EnvNames.otlpListener
}
const clientsVar: Record<ListenerKind, string> = {
  tcp: EnvNames.tcpClients,
  unix: EnvNames.unixClients,
  otlp: EnvNames.otlpClients
}
const fdName: Record<ListenerKind, string> = { tcp: "apm-tcp", unix: "apm-unix", otlp: "otlp-grpc" }

export interface PlanInput<L, C> {
  readonly listeners: ReadonlyArray<L & { readonly kind: ListenerKind }>
  /** Held clients in the order they should be handed over (the trigger first). */
  readonly clients: ReadonlyArray<C & { readonly listener: ListenerKind }>
  readonly baseEnv: Readonly<Record<string, string | undefined>>
  readonly command: readonly [string, ...Array<string>]
  readonly listenFds: boolean
  /** Reserve a pipe after the clients for their read prefixes. */
  readonly prefixPipe?: boolean
  readonly activation: {
    readonly reason: ActivationReason | "direct"
    readonly absorbed: number
    readonly waitedMs: number
  }
}

export interface Plan<L, C> {
  /** Items for spawn's stdio slots 3, 4, …: listeners in fixed order, then clients. */
  readonly slots: ReadonlyArray<{ readonly fd: number; readonly item: L | C }>
  /** Descriptor of the prefix pipe in the agent, after every slot. */
  readonly prefixFd: number | undefined
  readonly env: Record<string, string>
  /** The program and its arguments (wrapped by a shell trampoline when LISTEN_PID must be set). */
  readonly file: string
  readonly args: ReadonlyArray<string>
}

/** Removes every loader-owned variable and undefined entries from an inherited environment. */
export const strippedEnv = (env: Readonly<Record<string, string | undefined>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !managedEnvNames.includes(k)) out[k] = v
  }
  return out
}

/** `sh` sets LISTEN_PID to its own PID, which `exec` hands to the agent. */
export const LISTEN_PID_TRAMPOLINE = "LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\""

export const makePlan = <L, C>(input: PlanInput<L, C>): Plan<L, C> => {
  const env = strippedEnv(input.baseEnv)
  const slots: Array<{ fd: number; item: L | C }> = []
  const names: Array<string> = []
  for (const kind of listenerOrder) {
    const l = input.listeners.find((x) => x.kind === kind)
    if (l === undefined) continue
    const fd = FIRST_FD + slots.length
    slots.push({ fd, item: l })
    names.push(fdName[kind])
    env[listenerVar[kind]] = String(fd)
  }
  const byKind: Record<ListenerKind, Array<number>> = { tcp: [], unix: [], otlp: [] }
  for (const c of input.clients) {
    const fd = FIRST_FD + slots.length
    slots.push({ fd, item: c })
    names.push(`${fdName[c.listener]}-client`)
    byKind[c.listener].push(fd)
  }
  for (const kind of listenerOrder) {
    if (byKind[kind].length > 0) env[clientsVar[kind]] = byKind[kind].join(",")
  }
  const prefixFd = input.prefixPipe === true ? FIRST_FD + slots.length : undefined
  if (prefixFd !== undefined) env[EnvNames.prefixes] = String(prefixFd)
  const firstTcp = byKind.tcp[0]
  if (firstTcp !== undefined) env[EnvNames.tcpClient] = String(firstTcp)
  env[EnvNames.reason] = input.activation.reason
  env[EnvNames.absorbed] = String(input.activation.absorbed)
  env[EnvNames.waitedMs] = String(Math.round(input.activation.waitedMs))

  const [file, ...args] = input.command
  if (input.listenFds && slots.length > 0) {
    env[EnvNames.listenFds] = String(slots.length)
    env[EnvNames.listenFdNames] = names.join(":")
    return { slots, prefixFd, env, file: "/bin/sh", args: ["-c", LISTEN_PID_TRAMPOLINE, file, ...args] }
  }
  return { slots, prefixFd, env, file, args }
}

/** The prefix stream (PrefixStream.ts): for each client, `<agent fd> <length>\n` and exactly `length` bytes. */
export const encodePrefixes = (prefixes: ReadonlyArray<{ readonly fd: number; readonly bytes: Uint8Array }>): Buffer =>
  Buffer.concat(prefixes.flatMap((p) => [Buffer.from(`${p.fd} ${p.bytes.length}\n`), Buffer.from(p.bytes)]))
