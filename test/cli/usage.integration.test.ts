import { describe, expect, it } from "vitest"
import { runCli } from "./helpers.js"

describe("dd-agent command line", () => {
  it("help is plain text when stdout is not a terminal, and describes options by their own text", async () => {
    const r = await runCli(["logs", "send", "--help"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("--endpoint")
    expect(r.stdout).not.toContain("\x1b[")
    expect(r.stdout).not.toContain("A user-defined piece of text")
  })

  it("a mistyped option is one dd-agent: line naming the command, the option and the close one", async () => {
    const r = await runCli(["intake", "--lisen", "127.0.0.1:0"])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr).toBe("dd-agent: intake: unknown option --lisen (did you mean --listen?)\n")
  })

  it("a bad value names the option; a mistyped command suggests the close one", async () => {
    const bad = await runCli(["logs", "send", "--endpoint", "127.0.0.1:1", "--workers", "x"])
    expect(bad.stderr).toBe("dd-agent: logs send: --workers 'x' is not an integer\n")
    const cmd = await runCli(["statu"])
    expect(cmd.code).toBe(1)
    expect(cmd.stderr).toMatch(/^dd-agent: unknown command 'statu' \(did you mean status\?\); commands: run, /)
  })
})
