/**
 * Vitest global setup: the CLI tests run the bundle users run (`bin/dd-agent.js` → `dist/`), so build it from the
 * current sources once before the suite.
 */
import { execFileSync } from "node:child_process"

export default function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: ["ignore", "ignore", "inherit"] })
}
