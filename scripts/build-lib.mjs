// The embeddable library: tsc emits ESM JavaScript and .d.ts into dist/lib; the protobuf code generated at
// install time is plain JavaScript with its own .d.ts, which tsc does not emit, so it is copied beside them.
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"

const root = Path.resolve(import.meta.dirname, "..")
execFileSync(process.execPath, [Path.join(root, "node_modules/typescript/bin/tsc"), "-p", Path.join(root, "tsconfig.build.json")], {
  stdio: "inherit"
})
const out = Path.join(root, "dist/lib/generated")
Fs.mkdirSync(out, { recursive: true })
for (const file of ["stateful_encoding.js", "stateful_encoding.d.ts"]) {
  Fs.copyFileSync(Path.join(root, "src/generated", file), Path.join(out, file))
}
