// Bundles the CLI for deployment with esbuild (`npm run build`; `npm ci` runs it after generating the protobuf
// code). Entry points in ESM, split into shared chunks so that a process loads only what it runs:
// - dist/dd-agent.mjs, the CLI: each command is a chunk loaded when that command runs (src/programs/cli.ts);
// - dist/dd-agent-loader.mjs, the trace loader alone;
// - dist/dd-agent-loader-handover.mjs, what the loader loads once traffic arrives;
// - the help renderer, run and removed at the end (scripts/build-help.mjs).
// And the loader's idle image, dist/dd-agent-loader-idle.cjs, built alone (see below).
import { build } from "esbuild"
import { rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { buildHelp, HELP_RENDERER } from "./build-help.mjs"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const outdir = join(root, "dist")
// Some dependencies are CommonJS and call require(); give each ESM chunk one.
const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }

rmSync(join(outdir, "chunks"), { recursive: true, force: true }) // chunk names change with their content
const result = await build({
  entryPoints: {
    "dd-agent": join(root, "src/programs/main.ts"),
    "dd-agent-loader": join(root, "src/programs/loaderMain.ts"),
    "dd-agent-loader-handover": join(root, "src/programs/loaderHandover.ts"),
    [HELP_RENDERER]: join(root, "src/programs/helpTexts.ts")
  },
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

// The loader's idle image (src/programs/loaderIdle.ts, which the loader re-executes into): what a loader keeps
// in memory while it waits for traffic, so one file with no package, no chunk and no banner (each costs RSS
// for the loader's whole life, README "Trace loader"). CommonJS, because an ESM import of a Node built-in
// evaluates all of its exports, and node:fs's `promises` then loads fs/promises, readline and more (~1 MiB).
// The handover is imported from the split bundle's entry once traffic arrives.
const HANDOVER = "./dd-agent-loader-handover.mjs"
// The loader command finds the image at ../dd-agent-loader-idle.cjs from its own chunk (src/programs/loader.ts).
const loaderChunk = Object.keys(result.metafile.outputs).find((o) => "src/programs/loader.ts" in result.metafile.outputs[o].inputs)
if (loaderChunk === undefined || dirname(loaderChunk) !== "dist/chunks") throw new Error(`build: src/programs/loader.ts is in ${loaderChunk}, not dist/chunks/`)
const idle = await build({
  entryPoints: { "dd-agent-loader-idle": join(root, "src/programs/loaderIdle.ts") },
  outdir,
  entryNames: "[name]",
  outExtension: { ".js": ".cjs" },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node22",
  minify: true,
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
  plugins: [{
    name: "loader-handover",
    setup: (b) => b.onResolve({ filter: /^\.\/loaderHandover\.js$/ }, () => ({ path: HANDOVER, external: true }))
  }]
})
const [idleOut] = Object.values(idle.metafile.outputs).filter((o) => o.entryPoint !== undefined)
const packages = Object.keys(idle.metafile.inputs).filter((i) => i.includes("node_modules/"))
if (packages.length > 0) throw new Error(`build: the loader's idle image holds packages: ${packages.slice(0, 5).join(", ")}`)
const foreign = idleOut.imports.filter((i) => !(i.path.startsWith("node:") || (i.path === HANDOVER && i.kind === "dynamic-import")))
if (foreign.length > 0) throw new Error(`build: the loader's idle image imports ${foreign.map((i) => i.path).join(", ")}`)
await buildHelp(outdir)
console.log("built dist/dd-agent.mjs, dist/dd-agent-loader.mjs, dist/dd-agent-loader-idle.cjs, dist/help.json")
