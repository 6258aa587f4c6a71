import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, describe, expect, it } from "vitest"

/**
 * A package directory whose `npm start` is the project's own script, running the project's bin on a config
 * that binds only an ephemeral status port (so the test does not collide with an agent already running).
 */
const scratch: Array<string> = []
afterAll(() => {
  for (const dir of scratch) Fs.rmSync(dir, { recursive: true, force: true })
})
const packageDir = () => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "npm-start-"))
  scratch.push(dir)
  const { scripts } = JSON.parse(Fs.readFileSync("package.json", "utf8")) as { scripts: { start: string } }
  Fs.writeFileSync(Path.join(dir, "package.json"), JSON.stringify({ name: "npm-start-test", private: true, scripts: { start: scripts.start } }))
  for (const d of ["bin", "dist", "node_modules"]) Fs.symlinkSync(Path.resolve(d), Path.join(dir, d))
  Fs.mkdirSync(Path.join(dir, "examples", "logs"), { recursive: true })
  Fs.writeFileSync(Path.join(dir, "examples", "logs", "a.log"), "one\ntwo\n")
  Fs.writeFileSync(
    Path.join(dir, "examples", "agent.yaml"),
    [
      "logs_enabled: true",
      "logs:",
      "  - type: file",
      "    path: examples/logs/*.log",
      "    start_position: beginning",
      "process_config:",
      "  enabled: false",
      "status:",
      "  listen: 127.0.0.1:0",
      ""
    ].join("\n")
  )
  return dir
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = Net.connect(port, "127.0.0.1")
    s.once("connect", () => { s.destroy(); resolve(false) })
    s.once("error", () => resolve(true))
  })

describe("npm start", () => {
  it("stops the agent when npm alone gets SIGTERM (as Docker and systemd send it)", async () => {
    // npm in its own process group, as a container's init or a service manager would run it.
    const npm = spawn("npm", ["start"], { cwd: packageDir(), detached: true, stdio: ["ignore", "ignore", "pipe"] })
    try {
      let stderr = ""
      const ready = new Promise<number>((resolve, reject) => {
        npm.stderr.on("data", (d) => {
          stderr += String(d)
          const m = /"ready":true,"status":"127\.0\.0\.1:(\d+)"/.exec(stderr)
          if (m) resolve(Number(m[1]))
        })
        npm.once("exit", () => reject(new Error(`npm start exited before ready: ${stderr}`)))
      })
      // Every process holding npm's stderr (npm, a shell, the agent) must be gone for the pipe to close.
      const allGone = new Promise<void>((resolve) => npm.stderr.once("close", resolve))
      const port = await ready
      process.kill(npm.pid!, "SIGTERM")
      await allGone
      expect(stderr).toContain("\"summary\"")
      expect(await refused(port)).toBe(true)
    } finally {
      try { process.kill(-npm.pid!, "SIGKILL") } catch { /* the group is gone */ }
    }
  })
})
