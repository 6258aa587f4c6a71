/** Finds the agent program the way exec does: a name with a slash is a path, others go through PATH. */
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { Effect } from "effect"
import { AgentStartError } from "../../services/loader/errors.js"

const executable = (p: string) =>
  Effect.promise(() =>
    Fs.stat(p).then(
      (s) => s.isFile() && Fs.access(p, Fs.constants.X_OK).then(() => true, () => false),
      () => false
    )
  )

export const resolveCommand = (
  command: string,
  pathVar: string | undefined
): Effect.Effect<string, AgentStartError> =>
  Effect.gen(function*() {
    if (command === "") {
      return yield* new AgentStartError({ reason: "NotFound", command, message: "empty command" })
    }
    if (command.includes("/")) {
      const full = Path.resolve(command)
      if (yield* executable(full)) return full
      return yield* new AgentStartError({ reason: "NotFound", command, message: `${full} is not an executable file` })
    }
    for (const dir of (pathVar ?? "").split(":")) {
      const candidate = Path.resolve(dir === "" ? "." : dir, command)
      if (yield* executable(candidate)) return candidate
    }
    return yield* new AgentStartError({ reason: "NotFound", command, message: "executable file not found in $PATH" })
  })
