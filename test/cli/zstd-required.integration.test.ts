import * as Path from "node:path"
import { describe, expect, it } from "vitest"
import { runCli } from "./helpers.js"

// Simulates a Node.js without zstd in node:zlib (< 22.15) by deleting it before the CLI loads.
const withoutZstd = ["--require", Path.resolve("test/cli/fixtures/no-zstd.cjs")]

describe("commands that need zstd on a runtime without it", () => {
  it.each([
    ["intake", ["intake", "--listen", "127.0.0.1:0"]],
    ["logs send", ["logs", "send", "--endpoint", "127.0.0.1:1", "--insecure"]],
    ["run", ["run", "--config", Path.resolve("examples/agent.yaml")]]
  ])("%s exits 1 at start-up with one line saying why, before printing anything", async (_, args) => {
    const r = await runCli(args, { nodeArgs: withoutZstd, input: "a line\n" })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(/^dd-agent: RuntimeUnsupported: node:zlib has no zstd in Node\.js v[\d.]+: dd-agent needs Node\.js >= 22\.15\n$/)
  })

  it("their help still works", async () => {
    // Answered by the launcher alone, and by the CLI (which loads the command) when asked with other arguments.
    for (const args of [["intake", "--help"], ["intake", "--help", "--log-level", "info"]]) {
      const r = await runCli(args, { nodeArgs: withoutZstd })
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("--listen")
    }
  })
})
