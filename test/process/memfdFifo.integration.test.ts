/**
 * The tracer memfd is opened without blocking: a FIFO under the fd number (present from the start, or
 * swapped in between the stat and the open) is refused at once instead of hanging the resolver. Each case
 * runs in a child process with a real FIFO; a blocking open would show as the child's timeout.
 */
import { execFile, execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const FIXTURE = path.resolve("test/process/fixtures/read_fd_fifo.ts")

const runFixture = (mode: "read" | "swap") =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "dd-procfs-fifo-"))
      fs.mkdirSync(path.join(root, "1", "fd"), { recursive: true })
      if (mode === "read") execFileSync("mkfifo", [path.join(root, "1", "fd", "5")])
      return root
    }),
    (root) =>
      Effect.async<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resume) => {
        const child = execFile(process.execPath, ["--import", "tsx", FIXTURE, mode, root], { timeout: 20_000 }, (err, stdout, stderr) =>
          resume(Effect.succeed({ code: err === null ? 0 : typeof err.code === "number" ? err.code : null, signal: err?.signal ?? null, stdout, stderr })))
        return Effect.sync(() => child.kill("SIGKILL"))
      }),
    (root) => Effect.sync(() => fs.rmSync(root, { recursive: true, force: true }))
  )

describe("tracer memfd read against a FIFO", () => {
  it.live("readFd refuses a FIFO without blocking", () =>
    Effect.gen(function*() {
      const run = yield* runFixture("read")
      assert.strictEqual(run.signal, null, `the read blocked: ${run.stderr}`)
      assert.deepStrictEqual(JSON.parse(run.stdout), { error: "ProcFsError", reason: "not a regular file" })
    }), 30_000)

  it.live("discovery refuses a FIFO swapped in between stat and open", () =>
    Effect.gen(function*() {
      const run = yield* runFixture("swap")
      assert.strictEqual(run.signal, null, `the read blocked: ${run.stderr}`)
      assert.deepStrictEqual(JSON.parse(run.stdout), { error: "ProcFsError", reason: "not a regular file" })
    }), 30_000)
})
