import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { describe, expect, it } from "vitest"

const bin = Path.resolve("bin/dd-agent.js")

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }))
  })

describe("dd-agent config check", () => {
  it("prints the effective settings with the API key masked and the overrides in effect", async () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "config-"))
    const file = Path.join(dir, "agent.yaml")
    Fs.writeFileSync(file, "api_key: supersecretkey1234\nlogs_config:\n  workers: 2\n")
    const r = await run(["config", "check", "--config", file], { DD_LOGS_CONFIG_BATCH_MAX_ENTRIES: "250" })
    expect(r.code).toBe(0)
    expect(r.stdout).not.toContain("supersecretkey")
    const out = JSON.parse(r.stdout)
    expect(out.effective.apiKey).toBe("**************1234")
    expect(out.effective.logs.sender).toEqual({ workers: 2, batchMaxEntries: 250 })
    expect(out.environment_overrides).toContain("DD_LOGS_CONFIG_BATCH_MAX_ENTRIES")
  })

  it("reports every problem with its path and line, never the secret, and exits 1", async () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "config-"))
    const file = Path.join(dir, "agent.yaml")
    Fs.writeFileSync(file, "api_key: 12345678901234\nlogs_config:\n  workerz: 2\n  batch_max_entries: 0\n")
    const r = await run(["config", "check", "--config", file])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${file}:3: logs_config.workerz: unknown key`)
    expect(r.stderr).toContain(`${file}:4: logs_config.batch_max_entries: Expected a number between 1 and 100000, actual 0`)
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:1: api_key: `))
    expect(r.stderr).not.toContain("12345678901234")
  })
})
