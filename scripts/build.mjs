// Bundles the CLI for deployment: dist/dd-agent.mjs (every command) and dist/dd-agent-loader.mjs (the trace
// loader alone, which idles until traffic arrives and so should carry as little as possible).
// Run after `npm ci` (the protobuf code must have been generated): `npm run build`.
import { build } from "esbuild"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
// Some dependencies are CommonJS and call require(); give the ESM bundle one.
const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }

for (const [entry, out] of [["src/programs/main.ts", "dist/dd-agent.mjs"], ["src/programs/loaderMain.ts", "dist/dd-agent-loader.mjs"]]) {
  await build({
    entryPoints: [join(root, entry)],
    outfile: join(root, out),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    sourcemap: "linked",
    banner,
    logLevel: "warning"
  })
  console.log(`built ${out}`)
}
