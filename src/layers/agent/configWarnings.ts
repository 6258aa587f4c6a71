/**
 * What is valid but probably not what the user meant, reported by `run` (as warnings) and `config check` alike:
 * logs enabled with no inputs, and a file input whose glob matches no file yet.
 */
import * as Fs from "node:fs"
import { Effect } from "effect"
import type { AgentSettings } from "../../services/config/AgentSettings.js"

export const configWarnings = (settings: AgentSettings): Effect.Effect<ReadonlyArray<string>> =>
  Effect.sync(() => {
    if (!settings.logs.enabled) return []
    if (settings.logs.inputs.length === 0) return ["logs are enabled but no input is configured (`logs:`): nothing will be shipped"]
    return settings.logs.inputs.flatMap((input, i) => {
      if (input.type !== "file") return []
      let matches = 0
      try {
        matches = Fs.globSync(input.path).length
      } catch {
        matches = 0
      }
      return matches > 0 ? [] : [`logs[${i}].path: no file matches ${input.path} yet (it is tailed once one appears)`]
    })
  })
