// Generates static protobufjs code for proto/stateful_encoding.proto into src/generated/.
// Runs from `npm ci` (prepare), so the generated files are never committed and never stale.
import { execFileSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const outDir = join(root, "src", "generated")
const js = join(outDir, "stateful_encoding.js")
const dts = join(outDir, "stateful_encoding.d.ts")
const bin = (name) => join(root, "node_modules", ".bin", name)

mkdirSync(outDir, { recursive: true })
execFileSync(bin("pbjs"), [
  "-t", "static-module", "-w", "es6", "--force-number", "--no-beautify", "--no-delimited", "--no-verify", "--no-convert",
  "-o", js, join(root, "proto", "stateful_encoding.proto")
], { stdio: "inherit" })
// Node's ESM resolver needs the file extension for the CommonJS runtime entry point.
// 64-bit fields decode as JS numbers: ids, timestamps (ms) and int values fit in 2^53, and Long objects are slow.
const longOff = '\n// 64-bit fields as numbers (see scripts/gen-proto.mjs)\n$protobuf.util.Long = undefined;\n$protobuf.configure();\n'
writeFileSync(js, readFileSync(js, "utf8")
  .replace(/from "protobufjs\/minimal"/g, 'from "protobufjs/minimal.js"')
  .replace(/(import \$protobuf from "protobufjs\/minimal.js";\n)/, `$1${longOff}`))
execFileSync(bin("pbts"), ["-o", dts, js], { stdio: "inherit" })
