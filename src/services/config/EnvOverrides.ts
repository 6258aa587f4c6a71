/**
 * How a `DD_*` override variable becomes a configuration value: one rule for every decoder of the
 * configuration (the agent's and the loader's). Pure; kept apart from the YAML reader so the loader, which
 * often runs from variables alone, does not load it.
 */

/** The shape of the value a variable overrides. */
export type EnvKind = "boolean" | "number" | "string" | "list"

/**
 * The first of `names` set to a non-empty value in `env`, with its name. An empty variable is unset, as in the
 * Datadog agent: it does not override the file.
 */
export const envOverride = (
  env: Readonly<Record<string, string | undefined>>,
  names: ReadonlyArray<string>
): { readonly name: string; readonly value: string } | undefined => {
  for (const name of names) {
    const value = env[name]
    if (value !== undefined && value !== "") return { name, value }
  }
  return undefined
}

const truthy = new Set(["true", "1", "t", "yes", "on"])
const falsy = new Set(["false", "0", "f", "no", "off"])

/**
 * The variable's text as a value of `kind`: booleans from true/1/t/yes/on and false/0/f/no/off (any case),
 * numbers, lists separated by commas or spaces. Text that is not a value of its kind is returned as is, so the
 * schema reports it with the variable's name.
 */
export const parseEnvValue = (kind: EnvKind, value: string): unknown => {
  switch (kind) {
    case "boolean": {
      const v = value.trim().toLowerCase()
      return truthy.has(v) ? true : falsy.has(v) ? false : value
    }
    case "number":
      return value.trim() === "" || Number.isNaN(Number(value)) ? value : Number(value)
    case "list":
      return value.split(/[\s,]+/).filter((s) => s !== "")
    case "string":
      return value
  }
}
