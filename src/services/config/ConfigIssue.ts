/** The one shape of a configuration problem, for the agent's and the loader's configuration alike. */
import { Schema } from "effect"

/** One value that broke a rule. */
export const ConfigIssue = Schema.Struct({
  /** Dotted key path, e.g. `logs_config.batch_max_entries`, `logs[2].port` or `apm_config.receiver_port`. */
  path: Schema.String,
  /** `FILE:LINE` for a value from the file, `env DD_X` for one from the environment. */
  where: Schema.String,
  message: Schema.String
})
export type ConfigIssue = typeof ConfigIssue.Type

export const formatIssues = (issues: ReadonlyArray<ConfigIssue>): string =>
  issues.map((i) => `  ${i.where}: ${i.path}: ${i.message}`).join("\n")
