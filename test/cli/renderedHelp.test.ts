import { describe, expect, it } from "vitest"
import { helpPath } from "../../src/programs/renderedHelp.js"

describe("helpPath", () => {
  it("names the command path of exactly `[COMMAND [SUBCOMMAND]] --help` or `-h`", () => {
    expect(helpPath(["--help"])).toBe("")
    expect(helpPath(["-h"])).toBe("")
    expect(helpPath(["status", "--help"])).toBe("status")
    expect(helpPath(["logs", "send", "-h"])).toBe("logs send")
  })

  it("leaves everything else to the full CLI", () => {
    expect(helpPath([])).toBeUndefined()
    expect(helpPath(["status"])).toBeUndefined()
    expect(helpPath(["--help", "status"])).toBeUndefined()
    expect(helpPath(["status", "--json", "--help"])).toBeUndefined()
    expect(helpPath(["status", "--address=x", "--help"])).toBeUndefined()
    expect(helpPath(["--log-level", "debug", "--help"])).toBeUndefined()
    expect(helpPath(["logs", "send", "FILE.log", "--help"])).toBeUndefined()
    expect(helpPath(["--help", "--help"])).toBeUndefined()
  })
})
