/**
 * The tracer memfd is opened without blocking: a FIFO under the fd number (present from the start, or
 * swapped in between the stat and the open) is refused at once instead of hanging the resolver. The reads
 * run in a child process against real FIFOs; a blocking open shows as the child's timeout.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const FIXTURE = path.resolve("test/process/fixtures/read_fd_fifo.ts")

describe("tracer memfd read against a FIFO", () => {
  it.live("refuses a FIFO, present from the start or swapped in between stat and open, without blocking", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "dd-procfs-fifo-"))),
      (root) =>
        Effect.gen(function*() {
          const run = yield* Effect.async<{ signal: string | null; stdout: string; stderr: string }>((resume) => {
            const child = execFile(process.execPath, ["--import", "tsx", FIXTURE, root], { timeout: 45_000 }, (err, stdout, stderr) =>
              resume(Effect.succeed({ signal: err?.signal ?? null, stdout, stderr })))
            return Effect.sync(() => child.kill("SIGKILL"))
          })
          assert.strictEqual(run.signal, null, `a read blocked: ${run.stdout}${run.stderr}`)
          const refused = { error: "ProcFsError", reason: "not a regular file" }
          assert.deepStrictEqual(run.stdout.trim().split("\n").map((l) => JSON.parse(l)), [refused, refused])
        }),
      (root) => Effect.sync(() => fs.rmSync(root, { recursive: true, force: true }))
    ), 60_000)
})
