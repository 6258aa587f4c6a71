// Renders every command's help with @effect/cli (src/programs/helpTexts.ts) into dist/help.json, from which the
// launcher answers `dd-agent [COMMAND [SUBCOMMAND]] --help` without loading Effect (src/programs/renderedHelp.ts).
// scripts/build.mjs bundles helpTexts.ts as one more entry point, HELP_RENDERER, sharing the CLI's chunks (so
// the help is rendered by the code that ships, at little cost); this runs it (a program writing help.json), then
// removes it.
import { execFileSync } from "node:child_process"
import { rmSync } from "node:fs"
import { join } from "node:path"

export const HELP_RENDERER = "help-texts"

export const buildHelp = async (outdir) => {
  const renderer = join(outdir, `${HELP_RENDERER}.mjs`)
  try {
    execFileSync(process.execPath, [renderer, join(outdir, "help.json")], { stdio: ["ignore", "ignore", "inherit"] })
  } finally {
    rmSync(renderer, { force: true })
    rmSync(`${renderer}.map`, { force: true })
  }
}
