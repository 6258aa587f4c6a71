// Bundles the CLI for deployment with esbuild (`npm run build`; `npm ci` runs it after generating the protobuf
// code). Two entry points, ESM, split into shared chunks so that a process loads only what it runs:
// - dist/dd-agent.mjs, the CLI: each command is a chunk loaded when that command runs (src/programs/cli.ts);
// - dist/dd-agent-loader.mjs, the trace loader alone, which idles until traffic arrives and so should carry as
//   little as possible.
import { build } from "esbuild"
import { rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const outdir = join(root, "dist")
// Some dependencies are CommonJS and call require(); give each ESM chunk one.
const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }

rmSync(join(outdir, "chunks"), { recursive: true, force: true }) // chunk names change with their content
await build({
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
  logLevel: "warning"
})
console.log("built dist/dd-agent.mjs, dist/dd-agent-loader.mjs")
