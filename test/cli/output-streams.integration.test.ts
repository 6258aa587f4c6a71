import { spawn } from "node:child_process"
import * as Readline from "node:readline"
import { describe, expect, it } from "vitest"
import { bin } from "./helpers.js"

describe("dd-agent output streams", () => {
  it("logs go to stderr only: stdout carries the program's output and nothing else", async () => {
    // `intake` logs "intake listening" at debug level right before printing {"listening": PORT} on stdout.
    const child = spawn(process.execPath, [bin, "intake", "--listen", "127.0.0.1:0"], {
      env: { ...process.env, DD_LOG_LEVEL: "debug" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => { stdout += String(d) })
    child.stderr.on("data", (d) => { stderr += String(d) })
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve))
    await new Promise<void>((resolve) => Readline.createInterface({ input: child.stdout }).once("line", () => resolve()))
    child.kill("SIGTERM")
    expect(await closed).toBe(0)
    expect(stderr).toContain("message=\"intake listening\"")
    expect(stdout).toMatch(/^\{"listening":\d+\}\n$/)
  })
})
