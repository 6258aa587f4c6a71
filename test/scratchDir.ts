/**
 * Vitest global setup: every test's scratch files (`Os.tmpdir()`, in the test workers and in the processes they
 * start) go under one directory made for this run and removed after it, so that no run leaves files behind
 * whatever a test forgets or a failure skips.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

export default function setup() {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "dd-agent-test-"))
  process.env["TMPDIR"] = dir
  return () => Fs.rmSync(dir, { recursive: true, force: true })
}
