/**
 * The idle plan: what the loader's lean idle phase needs once the configuration was read and decoded (the
 * resolved agent command and the loader settings), carried across the loader's re-execution in one
 * environment variable. Pure: encoding, and decoding that names the field and the rule a bad value broke.
 * Imports nothing at run time: the idle phase decodes it without loading Effect.
 */
import type { LoaderConfig, LogLevelName } from "./Config.js"

/** The variable the plan travels in; the idle phase removes it before anything can inherit it. */
export const IDLE_PLAN_VARIABLE = "DD_LOADER_IDLE_PLAN"

/** The loader settings the idle phase and the handover use (LoaderConfig's, as plain values). */
export interface IdleConfig {
  readonly receiverHost: string
  readonly receiverPort: number
  readonly receiverSocket: string
  readonly otlpPort: number | undefined
  readonly handleTcpProbe: boolean
  readonly maxHeld: number
  readonly holdTimeoutMs: number
  readonly secondClientActivates: boolean
  readonly listenFds: boolean
  readonly classifier: "proc" | "read"
  readonly logLevel: LogLevelName
}

export interface IdlePlan {
  /** The agent program (resolved to a path) and its arguments. */
  readonly command: readonly [string, ...Array<string>]
  /** The program as given on the command line (the agent's argv[0]). */
  readonly argv0: string
  readonly config: IdleConfig
}

export const idleConfigOf = (c: LoaderConfig): IdleConfig => ({
  receiverHost: c.receiverHost,
  receiverPort: c.receiverPort,
  receiverSocket: c.receiverSocket,
  otlpPort: c.otlpPort._tag === "Some" ? c.otlpPort.value : undefined,
  handleTcpProbe: c.handleTcpProbe,
  maxHeld: c.maxHeld,
  holdTimeoutMs: c.holdTimeoutMs,
  secondClientActivates: c.secondClientActivates,
  listenFds: c.listenFds,
  classifier: c.classifier,
  logLevel: c.logLevel
})

export const encodeIdlePlan = (plan: IdlePlan): string => JSON.stringify(plan)

type Check = (v: unknown) => boolean
const isString: Check = (v) => typeof v === "string"
const isBoolean: Check = (v) => typeof v === "boolean"
const isInt: Check = (v) => Number.isInteger(v)
const isPositive: Check = (v) => typeof v === "number" && v > 0
const oneOf = (...xs: ReadonlyArray<string>): Check => (v) => typeof v === "string" && xs.includes(v)

const configRules: ReadonlyArray<readonly [keyof IdleConfig, Check, string]> = [
  ["receiverHost", isString, "a string"],
  ["receiverPort", isInt, "an integer"],
  ["receiverSocket", isString, "a string"],
  ["otlpPort", (v) => v === undefined || (isInt(v) && (v as number) > 0), "a positive integer or absent"],
  ["handleTcpProbe", isBoolean, "a boolean"],
  ["maxHeld", (v) => isInt(v) && (v as number) > 0, "a positive integer"],
  ["holdTimeoutMs", isPositive, "a positive number"],
  ["secondClientActivates", isBoolean, "a boolean"],
  ["listenFds", isBoolean, "a boolean"],
  ["classifier", oneOf("proc", "read"), "proc or read"],
  ["logLevel", oneOf("trace", "debug", "info", "warn", "error", "critical", "off"), "a log level"]
]

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** The plan in `text`, or the first rule it breaks (naming the variable and the field). */
export const decodeIdlePlan = (text: string): { readonly plan: IdlePlan } | { readonly error: string } => {
  const fail = (rule: string) => ({ error: `${IDLE_PLAN_VARIABLE}: ${rule}` })
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return fail(`not JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  if (!isRecord(value)) return fail("expected an object")
  const { argv0, command, config } = value
  if (!Array.isArray(command) || command.length === 0 || !command.every(isString)) {
    return fail("command: expected a non-empty array of strings")
  }
  if (!isString(argv0)) return fail("argv0: expected a string")
  if (!isRecord(config)) return fail("config: expected an object")
  for (const [name, check, rule] of configRules) {
    if (!check(config[name])) return fail(`config.${name}: expected ${rule}, got ${JSON.stringify(config[name])}`)
  }
  // Only the known fields (an absent otlpPort is `undefined`, which JSON does not carry).
  const known = Object.fromEntries(configRules.map(([name]) => [name, config[name]])) as unknown as IdleConfig
  return { plan: { command: command as [string, ...Array<string>], argv0: argv0 as string, config: known } }
}
