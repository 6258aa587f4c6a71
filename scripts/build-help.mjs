// Renders every command's help with @effect/cli (src/programs/helpTexts.ts) into dist/help.json, from which the
// launcher answers `dd-agent [COMMAND [SUBCOMMAND]] --help` without loading Effect (src/programs/renderedHelp.ts).
// Run by scripts/build.mjs after the bundle, so the help always matches the commands it was built with.
import { build } from "esbuild"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"

/** Bundles helpTexts.ts to a scratch file (the sources are TypeScript), runs it and writes `outdir`/help.json. */
export const buildHelp = async (root, outdir, banner) => {
  const scratch = mkdtempSync(join(tmpdir(), "dd-agent-help-"))
  try {
    const renderer = join(scratch, "help-texts.mjs")
    await build({
      entryPoints: [join(root, "src/programs/helpTexts.ts")],
      outfile: renderer,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      banner,
      logLevel: "warning"
    })
    const { helpTexts } = await import(pathToFileURL(renderer).href)
    writeFileSync(join(outdir, "help.json"), JSON.stringify(await helpTexts()) + "\n")
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
