/**
 * Decodes the agent configuration from YAML text plus `DD_*` environment overrides, in one pure step. Every
 * problem is reported with its key path and, for file values, the file line; nothing is silently dropped.
 */
import { Data, Either, ParseResult, Schema, SchemaAST } from "effect"
import { AgentConfigFile, secretKeys } from "./AgentConfig.js"
import { type ConfigIssue, formatIssues } from "./ConfigIssue.js"
import { type EnvKind, envOverride, parseEnvValue } from "./EnvOverrides.js"
import { parseYamlDocument } from "./YamlDocument.js"

export type { ConfigIssue }

export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly source: string
  readonly issues: ReadonlyArray<ConfigIssue>
}> {
  override get message() {
    return `invalid configuration (${this.source}):\n` + formatIssues(this.issues)
  }
}

type Leaf = EnvKind

/** Every scalar key the schema knows, with its kind: the names `DD_*` overrides may use. */
const leafPaths = (ast: SchemaAST.AST, prefix: ReadonlyArray<string>, out: Array<[ReadonlyArray<string>, Leaf]>) => {
  const t = unwrap(ast)
  if (SchemaAST.isTypeLiteral(t) && t.propertySignatures.length > 0) {
    for (const ps of t.propertySignatures) leafPaths(ps.type, [...prefix, String(ps.name)], out)
    return out
  }
  if (prefix.length === 0) return out
  if (SchemaAST.isTupleType(t)) {
    const el = t.rest[0] ? unwrap(t.rest[0].type) : undefined
    if (el && (SchemaAST.isStringKeyword(el) || SchemaAST.isRefinement(el))) out.push([prefix, "list"])
    return out
  }
  if (SchemaAST.isBooleanKeyword(t)) out.push([prefix, "boolean"])
  else if (SchemaAST.isNumberKeyword(t)) out.push([prefix, "number"])
  else if (SchemaAST.isStringKeyword(t) || SchemaAST.isLiteral(t) || SchemaAST.isUnion(t) || SchemaAST.isTransformation(t) || SchemaAST.isDeclaration(t)) out.push([prefix, "string"])
  return out
}

/** Strips optionality, refinements and encodings down to the value's shape. */
const unwrap = (ast: SchemaAST.AST): SchemaAST.AST => {
  let t = ast
  for (;;) {
    if (SchemaAST.isUnion(t)) {
      const members = t.types.filter((m) => !SchemaAST.isUndefinedKeyword(m))
      if (members.length === 1) {
        t = members[0]!
        continue
      }
      return t
    }
    if (SchemaAST.isRefinement(t)) {
      t = t.from
      continue
    }
    return t
  }
}

const leaves = leafPaths(Schema.encodedSchema(AgentConfigFile).ast, [], [])

/** The `DD_*` variable that overrides a key path. */
export const envName = (path: ReadonlyArray<string>) => "DD_" + path.join("_").toUpperCase()

/** The override variables the configuration understands, for documentation and `config check`. */
export const knownEnvVariables: ReadonlyArray<string> = leaves.map(([p]) => envName(p))

const setIn = (obj: Record<string, unknown>, path: ReadonlyArray<string>, value: unknown) => {
  let cur = obj
  for (const key of path.slice(0, -1)) {
    const next = cur[key]
    if (typeof next !== "object" || next === null || Array.isArray(next)) cur[key] = {}
    cur = cur[key] as Record<string, unknown>
  }
  cur[path[path.length - 1]!] = value
}

const formatPath = (path: ReadonlyArray<PropertyKey>) =>
  path.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s === "" ? String(k) : `${s}.${String(k)}`), "")

/**
 * Decodes `text` (the file's YAML; empty for no file) with `env` overrides applied on top.
 * `source` names the file in messages.
 */
export const decodeAgentConfig = (
  text: string,
  source: string,
  env: Readonly<Record<string, string | undefined>>
): Either.Either<AgentConfigFile, ConfigError> => {
  const parsed = parseYamlDocument(text, source)
  if (Either.isLeft(parsed)) return Either.left(new ConfigError({ source, issues: parsed.left }))
  const doc = parsed.right
  const raw = doc.value
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return Either.left(new ConfigError({ source, issues: [{ path: "(document)", where: `${source}:1`, message: "the configuration must be a mapping of keys" }] }))
  }
  const fromEnv = new Map<string, string>()
  for (const [path, kind] of leaves) {
    const override = envOverride(env, [envName(path)])
    if (override === undefined) continue
    setIn(raw as Record<string, unknown>, path, parseEnvValue(kind, override.value))
    fromEnv.set(path.join("."), override.name)
  }
  const decoded = Schema.decodeUnknownEither(AgentConfigFile, { onExcessProperty: "error", errors: "all" })(raw)
  if (Either.isRight(decoded)) return Either.right(decoded.right)
  // An optional key's "or undefined" alternative adds nothing to the real message: leave it out.
  const relevant = ParseResult.ArrayFormatter.formatErrorSync(decoded.left).filter((i) => !i.message.startsWith("Expected undefined"))
  const issues = relevant.map((issue): ConfigIssue => {
    const path = formatPath(issue.path)
    // Schema messages quote the actual value; a secret's value must not reach the terminal or the logs.
    const message = isSecret(issue.path) ? "expected a string (the value is a secret and is not shown)" : describe(issue)
    const envVar = fromEnv.get(issue.path.map(String).join("."))
    if (envVar !== undefined) return { path, where: `env ${envVar}`, message }
    return { path: path === "" ? "(document)" : path, where: doc.where(issue.path), message }
  })
  return Either.left(new ConfigError({ source, issues }))
}

/** A secret key or anything under it (an array given where the string belongs). */
const isSecret = (path: ReadonlyArray<PropertyKey>) =>
  path.some((_, i) => secretKeys.has(path.slice(0, i + 1).map(String).join(".")))

const describe = (issue: ParseResult.ArrayFormatterIssue) =>
  issue._tag === "Unexpected" ? "unknown key" : issue.message
