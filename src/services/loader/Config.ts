/**
 * Loader configuration: the datadog.yaml keys the trace loader reads, overridable by `DD_*`
 * variables (a set, non-empty variable wins over the file), decoded with Schema by a pure function
 * so the composed agent can feed it from its own parsed configuration.
 */
import { Either, Option, ParseResult, Schema } from "effect"
import type { ConfigIssue } from "../config/ConfigIssue.js"
import { type EnvKind, envOverride, parseEnvValue } from "../config/EnvOverrides.js"
import { LoaderConfigError } from "./errors.js"

export const LogLevelName = Schema.Literal("trace", "debug", "info", "warn", "error", "critical", "off")
export type LogLevelName = typeof LogLevelName.Type

export const LoaderConfig = Schema.Struct({
  /** apm_config.enabled */
  apmEnabled: Schema.Boolean,
  /** apm_config.error_tracking_standalone.enabled: also keeps the agent enabled. */
  errorTrackingStandalone: Schema.Boolean,
  /** apm_config.socket_activation.enabled */
  socketActivation: Schema.Boolean,
  /** apm_config.socket_activation.handle_tcp_probe */
  handleTcpProbe: Schema.Boolean,
  /** apm_config.socket_activation.max_held_connections (extension) */
  maxHeld: Schema.Int.pipe(Schema.positive()),
  /** apm_config.socket_activation.hold_timeout, seconds (extension) */
  holdTimeoutMs: Schema.Number.pipe(Schema.positive()),
  /** apm_config.socket_activation.second_client_activates: Datadog's single-client rule (extension) */
  secondClientActivates: Schema.Boolean,
  /** apm_config.socket_activation.listen_fds: also set LISTEN_FDS/LISTEN_FDNAMES (extension) */
  listenFds: Schema.Boolean,
  /** apm_config.socket_activation.classifier: "proc" (Linux, non-consuming) or "read" (portable) */
  classifier: Schema.Literal("proc", "read"),
  /** Receiver host from bind_host / apm_config.apm_non_local_traffic / containerized default. */
  receiverHost: Schema.String,
  /** True when the host is 0.0.0.0 only because the process runs in a container. */
  nonLocalBecauseContainerized: Schema.Boolean,
  /** apm_config.receiver_port; <= 0 disables the TCP receiver. */
  receiverPort: Schema.Int,
  /** apm_config.receiver_socket; empty disables the unix receiver. */
  receiverSocket: Schema.String,
  /** The OTLP internal gRPC listener, present when otlp_config.receiver is configured. */
  otlpPort: Schema.OptionFromSelf(Schema.Int),
  /** log_level */
  logLevel: LogLevelName
})
export type LoaderConfig = typeof LoaderConfig.Type

/** Everything the decoder reads: the parsed file (any YAML value), the environment and host facts. */
export interface ConfigInput {
  readonly file: unknown
  readonly env: Readonly<Record<string, string | undefined>>
  /** `process.platform`: the unix receiver defaults to a path only on Linux. */
  readonly platform: string
  /** `FILE:LINE` of a key path in the file (the parsed document's); without it, "config file". */
  readonly where?: ((path: ReadonlyArray<string>) => string) | undefined
}

export const DEFAULT_RECEIVER_SOCKET = "/var/run/datadog/apm.socket"

// Value schemas. YAML gives typed scalars; a `DD_*` variable is parsed by the configuration's one override rule
// (`parseEnvValue`, by the key's kind) before it reaches them. A quoted YAML scalar is still accepted.
const BoolFromString = Schema.transformOrFail(Schema.String, Schema.Boolean, {
  strict: true,
  decode: (s, _, ast) => {
    const b = parseEnvValue("boolean", s)
    return typeof b === "boolean" ? ParseResult.succeed(b) : ParseResult.fail(new ParseResult.Type(ast, s))
  },
  encode: (b) => ParseResult.succeed(b ? "true" : "false")
})
const BoolValue = Schema.Union(Schema.Boolean, BoolFromString)
const IntValue = Schema.Union(Schema.Int, Schema.compose(Schema.NumberFromString, Schema.Int))
const PositiveNumberValue = Schema.Union(Schema.Number, Schema.NumberFromString).pipe(
  Schema.filter((n) => n > 0)
)
const PortValue = IntValue.pipe(Schema.filter((n) => n <= 65535))
const StringValue = Schema.String

interface Key<A> {
  readonly path: string
  readonly env: ReadonlyArray<string>
  /** How an override variable's text is read (`parseEnvValue`). */
  readonly kind: EnvKind
  readonly schema: Schema.Schema<A, any>
  readonly rule: string
}
const key = <A>(path: string, env: ReadonlyArray<string>, kind: EnvKind, schema: Schema.Schema<A, any>, rule: string): Key<A> => ({
  path,
  env,
  kind,
  schema,
  rule
})

export const Keys = {
  apmEnabled: key("apm_config.enabled", ["DD_APM_ENABLED"], "boolean", BoolValue, "expected a boolean"),
  errorTracking: key(
    "apm_config.error_tracking_standalone.enabled",
    ["DD_APM_ERROR_TRACKING_STANDALONE_ENABLED"],
    "boolean",
    BoolValue,
    "expected a boolean"
  ),
  socketActivation: key(
    "apm_config.socket_activation.enabled",
    ["DD_APM_SOCKET_ACTIVATION_ENABLED"],
    "boolean",
    BoolValue,
    "expected a boolean"
  ),
  handleTcpProbe: key(
    "apm_config.socket_activation.handle_tcp_probe",
    ["DD_APM_SOCKET_ACTIVATION_HANDLE_TCP_PROBE"],
    "boolean",
    BoolValue,
    "expected a boolean"
  ),
  maxHeld: key(
    "apm_config.socket_activation.max_held_connections",
    ["DD_APM_SOCKET_ACTIVATION_MAX_HELD_CONNECTIONS"],
    "number",
    IntValue.pipe(Schema.filter((n) => n >= 1 && n <= 1024)),
    "expected an integer from 1 to 1024"
  ),
  holdTimeout: key(
    "apm_config.socket_activation.hold_timeout",
    ["DD_APM_SOCKET_ACTIVATION_HOLD_TIMEOUT"],
    "number",
    PositiveNumberValue,
    "expected a positive number of seconds"
  ),
  secondClient: key(
    "apm_config.socket_activation.second_client_activates",
    ["DD_APM_SOCKET_ACTIVATION_SECOND_CLIENT_ACTIVATES"],
    "boolean",
    BoolValue,
    "expected a boolean"
  ),
  listenFds: key(
    "apm_config.socket_activation.listen_fds",
    ["DD_APM_SOCKET_ACTIVATION_LISTEN_FDS"],
    "boolean",
    BoolValue,
    "expected a boolean"
  ),
  classifier: key(
    "apm_config.socket_activation.classifier",
    ["DD_APM_SOCKET_ACTIVATION_CLASSIFIER"],
    "string",
    Schema.Literal("proc", "read"),
    "expected proc or read"
  ),
  bindHost: key("bind_host", ["DD_BIND_HOST"], "string", StringValue, "expected a host name or address"),
  nonLocal: key("apm_config.apm_non_local_traffic", ["DD_APM_NON_LOCAL_TRAFFIC"], "boolean", BoolValue, "expected a boolean"),
  receiverPort: key(
    "apm_config.receiver_port",
    ["DD_APM_RECEIVER_PORT"],
    "number",
    PortValue,
    "expected an integer port (<= 0 disables)"
  ),
  receiverSocket: key("apm_config.receiver_socket", ["DD_APM_RECEIVER_SOCKET"], "string", StringValue, "expected a path"),
  otlpReceiver: key(
    "otlp_config.receiver",
    ["DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT", "DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT"],
    "string",
    Schema.Unknown,
    "any value"
  ),
  otlpPort: key(
    "otlp_config.traces.internal_port",
    ["DD_OTLP_CONFIG_TRACES_INTERNAL_PORT"],
    "number",
    PortValue.pipe(Schema.filter((n) => n > 0)),
    "expected a port from 1 to 65535"
  ),
  logLevel: key(
    "log_level",
    ["DD_LOG_LEVEL"],
    "string",
    Schema.transform(Schema.String, Schema.String, {
      strict: true,
      decode: (s) => s.toLowerCase() === "warning" ? "warn" : s.toLowerCase(),
      encode: (s) => s
    }).pipe(Schema.compose(LogLevelName)),
    "expected one of trace, debug, info, warn, error, critical, off"
  )
} as const

type Found = { readonly value: unknown; readonly where: string }

const fileWhere = (input: ConfigInput, path: ReadonlyArray<string>) => input.where?.(path) ?? "config file"

/** Walks `a.b.c` through nested mappings; a non-mapping on the way is an issue for that prefix. */
const lookupFile = (input: ConfigInput, path: string, issues: Array<ConfigIssue>): Option.Option<Found> => {
  let node: unknown = input.file
  const parts = path.split(".")
  for (let i = 0; i < parts.length; i++) {
    if (node === null || node === undefined) return Option.none()
    if (typeof node !== "object" || Array.isArray(node)) {
      const at = parts.slice(0, i).join(".") || "(document)"
      if (!issues.some((x) => x.path === at)) issues.push({ path: at, where: fileWhere(input, parts.slice(0, i)), message: "expected a mapping" })
      return Option.none()
    }
    const rec = node as Record<string, unknown>
    const part = parts[i]!
    if (!Object.prototype.hasOwnProperty.call(rec, part)) return Option.none()
    node = rec[part]
  }
  return Option.some({ value: node, where: fileWhere(input, parts) })
}

const lookup = (input: ConfigInput, k: Key<unknown>, issues: Array<ConfigIssue>): Option.Option<Found> => {
  const override = envOverride(input.env, k.env)
  if (override !== undefined) return Option.some({ value: parseEnvValue(k.kind, override.value), where: `env ${override.name}` })
  return lookupFile(input, k.path, issues)
}

/** Decodes the loader's configuration; every invalid key is reported, not just the first. */
export const decodeLoaderConfig = (input: ConfigInput): Either.Either<LoaderConfig, LoaderConfigError> => {
  const issues: Array<ConfigIssue> = []
  const read = <A>(k: Key<A>): Option.Option<A> =>
    Option.flatMap(lookup(input, k as Key<unknown>, issues), (found) => {
      // A YAML key present with no value (`key:`) means "unset", as in the agent.
      if (found.value === null && k.path !== Keys.otlpReceiver.path) return Option.none()
      const decoded = Schema.decodeUnknownEither(k.schema)(found.value)
      if (Either.isRight(decoded)) return Option.some(decoded.right)
      issues.push({ path: k.path, where: found.where, message: `${k.rule}, got ${JSON.stringify(found.value)}` })
      return Option.none()
    })
  const or = <A>(k: Key<A>, fallback: A): A => Option.getOrElse(read(k), () => fallback)

  // The loader owns apm_config.socket_activation: a misspelled key there is reported, not ignored.
  const section = Option.map(lookupFile(input, "apm_config.socket_activation", issues), (f) => f.value)
  if (Option.isSome(section) && typeof section.value === "object" && section.value !== null && !Array.isArray(section.value)) {
    const known = new Set(
      Object.values(Keys)
        .map((k) => k.path)
        .filter((p) => p.startsWith("apm_config.socket_activation."))
        .map((p) => p.slice("apm_config.socket_activation.".length))
    )
    for (const name of Object.keys(section.value)) {
      if (!known.has(name)) {
        issues.push({
          path: `apm_config.socket_activation.${name}`,
          where: fileWhere(input, ["apm_config", "socket_activation", name]),
          message: `unknown key (known: ${[...known].join(", ")})`
        })
      }
    }
  }

  const bindHost = read(Keys.bindHost)
  const nonLocal = read(Keys.nonLocal)
  const containerized = (input.env["DOCKER_DD_AGENT"] ?? "") !== ""
  // Same precedence as the trace agent: explicit keys first, then the containerized default.
  let receiverHost = "localhost"
  let nonLocalBecauseContainerized = false
  if (Option.isSome(bindHost) || Option.isSome(nonLocal)) {
    if (Option.isSome(bindHost)) receiverHost = bindHost.value
    if (Option.getOrElse(nonLocal, () => false)) receiverHost = "0.0.0.0"
  } else if (containerized) {
    receiverHost = "0.0.0.0"
    nonLocalBecauseContainerized = true
  }

  const otlpConfigured = Option.isSome(read(Keys.otlpReceiver))
  const otlpPort = or(Keys.otlpPort, 5003)

  const config: LoaderConfig = {
    apmEnabled: or(Keys.apmEnabled, true),
    errorTrackingStandalone: or(Keys.errorTracking, false),
    socketActivation: or(Keys.socketActivation, true),
    handleTcpProbe: or(Keys.handleTcpProbe, false),
    maxHeld: or(Keys.maxHeld, 16),
    holdTimeoutMs: or(Keys.holdTimeout, 30) * 1000,
    secondClientActivates: or(Keys.secondClient, false),
    listenFds: or(Keys.listenFds, false),
    classifier: or(Keys.classifier, input.platform === "linux" ? "proc" : "read"),
    receiverHost,
    nonLocalBecauseContainerized,
    receiverPort: or(Keys.receiverPort, 8126),
    receiverSocket: or(Keys.receiverSocket, input.platform === "linux" ? DEFAULT_RECEIVER_SOCKET : ""),
    otlpPort: otlpConfigured ? Option.some(otlpPort) : Option.none(),
    logLevel: or(Keys.logLevel, "info")
  }
  const [first, ...rest] = issues
  return first === undefined ? Either.right(config) : Either.left(new LoaderConfigError({ issues: [first, ...rest] }))
}

/** True when the agent should run at all (`apm_config.enabled` or error tracking standalone). */
export const agentEnabled = (c: LoaderConfig): boolean => c.apmEnabled || c.errorTrackingStandalone
