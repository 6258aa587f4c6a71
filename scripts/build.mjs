// Bundles the CLI for deployment with esbuild (`npm run build`; `npm ci` runs it after generating the protobuf
// code). Two entry points, ESM, split into shared chunks so that a process loads only what it runs:
// - dist/dd-agent.mjs, the CLI: each command is a chunk loaded when that command runs (src/programs/cli.ts);
// - dist/dd-agent-loader.mjs, the trace loader alone, which idles until traffic arrives and so should carry as
//   little as possible: its idle phase (src/programs/loaderIdle.ts) must load no package, which is checked here.
import { build } from "esbuild"
import { rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { buildHelp } from "./build-help.mjs"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const outdir = join(root, "dist")
// Some dependencies are CommonJS and call require(); give each ESM chunk one.
const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }

rmSync(join(outdir, "chunks"), { recursive: true, force: true }) // chunk names change with their content
const result = await build({
  entryPoints: { "dd-agent": join(root, "src/programs/main.ts"), "dd-agent-loader": join(root, "src/programs/loaderMain.ts") },
  outdir,
  entryNames: "[name]",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node22",
  minify: true,
  sourcemap: "linked",
  banner,
  metafile: true,
  logLevel: "warning"
})

// The loader's idle phase, with everything it imports statically, holds no package (Effect and the rest are
// loaded when traffic arrives): what a loader keeps in memory while it waits.
const outputs = result.metafile.outputs
const idleChunk = Object.keys(outputs).find((o) => outputs[o].entryPoint === "src/programs/loaderIdle.ts")
if (idleChunk === undefined) throw new Error("build: no chunk for src/programs/loaderIdle.ts")
const seen = new Set()
const visit = (o) => {
  if (seen.has(o)) return
  seen.add(o)
  for (const i of outputs[o].imports) if (i.kind === "import-statement" && !i.external) visit(i.path)
}
visit(idleChunk)
const packages = [...seen].flatMap((o) => Object.keys(outputs[o].inputs)).filter((i) => i.includes("node_modules/"))
if (packages.length > 0) throw new Error(`build: the loader's idle phase loads packages: ${packages.slice(0, 5).join(", ")}`)
await buildHelp(root, outdir, banner)
console.log("built dist/dd-agent.mjs, dist/dd-agent-loader.mjs, dist/help.json")
