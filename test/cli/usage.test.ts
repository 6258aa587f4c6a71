import { describe, expect, it } from "vitest"
import { closest, editDistance, helpWithoutTypes, stripAnsi, usageErrorLine } from "../../src/programs/usageError.js"

const commands = ["run", "intake", "logs", "status"]

describe("usage errors", () => {
  it("edit distance and the closest known name", () => {
    expect(editDistance("lisen", "listen")).toBe(1)
    expect(editDistance("", "abc")).toBe(3)
    expect(closest("--adress", ["--address", "--json"])).toBe("--address")
    expect(closest("--zzz", ["--address", "--json"])).toBeUndefined()
  })

  it("an unknown option names the command and suggests the close one", () => {
    expect(usageErrorLine(["intake", "--lisen", "x"], "Received unknown argument: '--lisen'", commands, ["--listen", "--out"]))
      .toBe("dd-agent: intake: unknown option --lisen (did you mean --listen?)")
    expect(usageErrorLine(["logs", "send", "--wrkers=2"], "Received unknown argument: '--wrkers=2'", commands, ["--workers"]))
      .toBe("dd-agent: logs send: unknown option --wrkers (did you mean --workers?)")
  })

  it("a bad value names the option; an unknown command suggests the close one", () => {
    expect(usageErrorLine(["intake", "--max-payload-bytes", "abc"], "'abc' is not a integer", commands, []))
      .toBe("dd-agent: intake: --max-payload-bytes 'abc' is not an integer")
    expect(usageErrorLine(["statu"], "Invalid subcommand for dd-agent - use one of 'run'", commands, []))
      .toBe("dd-agent: unknown command 'statu' (did you mean status?); commands: run, intake, logs, status")
  })

  it("strips colours", () => {
    expect(stripAnsi("\x1b[0;1mUSAGE\x1b[0m")).toBe("USAGE")
  })
})

describe("help text", () => {
  it("drops @effect/cli's type descriptions and keeps the options' own", () => {
    const help = "--listen text\n  A user-defined piece of text.\n  HOST:PORT to listen on\n--workers integer\n  An integer.\n  stream workers"
    expect(helpWithoutTypes(help)).toBe("--listen text\n  HOST:PORT to listen on\n--workers integer\n  stream workers")
  })
})
