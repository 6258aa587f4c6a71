/** ProcFsLive over a procfs-shaped tree in a temp dir: the root is configurable (a host /proc in a container). */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as ProcFsLive from "../../src/layers/process/ProcFsLive.js"
import * as ResolverLayer from "../../src/layers/process/ProcessResolverLayer.js"
import { ProcessResolver } from "../../src/services/process/ProcessResolver.js"

const statLine = (pid: number, comm: string, ppid: number, start: number) => {
  const rest = Array.from({ length: 49 }, () => "0")
  rest[0] = "S"
  rest[1] = String(ppid)
  rest[6] = "4194560"
  rest[19] = String(start)
  return `${pid} (${comm}) ${rest.join(" ")}\n`
}

const makeTree = Effect.acquireRelease(
  Effect.sync(() => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "procfs-"))
    const dir = path.join(root, "123")
    fs.mkdirSync(path.join(dir, "fd"), { recursive: true })
    fs.writeFileSync(path.join(dir, "stat"), statLine(123, "my app", 1, 4242))
    fs.writeFileSync(path.join(dir, "status"), "Name:\tmy app\nUid:\t1000\t1000\t1000\t1000\nGid:\t50\t50\t50\t50\n")
    fs.writeFileSync(path.join(dir, "cmdline"), "/opt/app\0--port\x008080\0")
    fs.writeFileSync(path.join(dir, "environ"), "HOME=/root\0DD_ENV=qa\0DD_API_KEY=never-kept\0")
    fs.writeFileSync(path.join(dir, "cgroup"), `0::/system.slice/docker-${"d".repeat(64)}.scope\n`)
    fs.symlinkSync("/opt/app", path.join(dir, "exe"))
    fs.symlinkSync("/srv", path.join(dir, "cwd"))
    fs.symlinkSync("socket:[1]", path.join(dir, "fd", "0"))
    fs.writeFileSync(path.join(root, "self"), "") // non-numeric entries are not pids
    return root
  }),
  (root) => Effect.sync(() => fs.rmSync(root, { recursive: true, force: true }))
)

describe("ProcFsLive over another root", () => {
  it.scopedLive("resolves facts from the tree, keeps only DD_* from environ, maps ENOENT to ProcessGone", () =>
    Effect.gen(function*() {
      const root = yield* makeTree
      const procFs = ProcFsLive.make(root)
      assert.deepStrictEqual(yield* procFs.pids, [123])
      assert.deepStrictEqual(yield* procFs.environ(123), { DD_ENV: "qa" })
      const gone = yield* Effect.flip(procFs.stat(999))
      assert.strictEqual(gone._tag, "ProcessGone")
      const entry = yield* Effect.provide(
        Effect.flatMap(ProcessResolver, (r) => r.resolve(123)),
        ResolverLayer.layerLive({ procRoot: root, watch: false, readEnviron: true })
      )
      assert.strictEqual(entry.facts.comm, "my app")
      assert.deepStrictEqual(entry.facts.cmdline, ["/opt/app", "--port", "8080"])
      assert.deepStrictEqual(entry.facts.exe, Option.some("/opt/app"))
      assert.deepStrictEqual(entry.facts.cwd, Option.some("/srv"))
      assert.deepStrictEqual(entry.facts.containerId, Option.some("d".repeat(64)))
      assert.strictEqual(Option.getOrThrow(entry.facts.credentials).uid.real, 1000)
      assert.deepStrictEqual(entry.facts.env, Option.some({ DD_ENV: "qa" }))
      assert.strictEqual(Option.getOrNull(entry.retry)?.lastError, "NoTracerMemfd")
    }))
})
