#!/usr/bin/env node
// Runs the bundle `npm ci` builds (package.json's `prepare`); `npm run build` rebuilds it after a change to src/.
// From the sources without building: `npm run dd-agent -- ARGS` (tsx; seconds to start).
import { existsSync } from "node:fs"

const entry = new URL("../dist/dd-agent.mjs", import.meta.url)
if (!existsSync(entry)) {
  console.error("dd-agent: dist/dd-agent.mjs is missing: run `npm run build` in the package's directory (npm ci does)")
  process.exit(1)
}
await import(entry.href)
