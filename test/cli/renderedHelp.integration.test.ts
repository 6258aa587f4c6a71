/**
 * The launcher answers `[COMMAND [SUBCOMMAND]] --help` from the help the build rendered (dist/help.json). That
 * text must be what the CLI prints through @effect/cli: each command's help from the bundle is compared with the
 * help the same bundle prints without dist/help.json (the full path: cliMain, @effect/cli, the command).
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, runCli, runNode } from "./helpers.js"
import { commandTree } from "./commandTree.js"

/** A copy of the package's bin and bundle without the rendered help: every help goes the full path there. */
const withoutRenderedHelp = () => {
  const pkg = Fs.mkdtempSync(Path.join(Os.tmpdir(), "cli-help-"))
  Fs.mkdirSync(Path.join(pkg, "bin"))
  Fs.copyFileSync(bin, Path.join(pkg, "bin", "dd-agent.js"))
  Fs.cpSync(Path.resolve("dist"), Path.join(pkg, "dist"), { recursive: true, filter: (f) => Path.basename(f) !== "help.json" })
  return Path.join(pkg, "bin", "dd-agent.js")
}

const hasScript = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

/** What `node BIN args` writes on a terminal (a pseudo-terminal from util-linux's `script`). */
const onTerminal = (binPath: string, args: ReadonlyArray<string>) =>
  execFileSync("script", ["-qec", [process.execPath, binPath, ...args].map((a) => `'${a}'`).join(" "), "/dev/null"], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: undefined }
  })

describe("rendered help", () => {
  let fullPath = ""
  let paths: ReadonlyArray<ReadonlyArray<string>> = []
  beforeAll(async () => {
    fullPath = withoutRenderedHelp()
    paths = [[], ...(await commandTree()).map((c) => c.path)]
  })
  afterAll(() => Fs.rmSync(Path.dirname(Path.dirname(fullPath)), { recursive: true, force: true }))

  it("is rendered for exactly the root, every command and every subcommand", () => {
    const table = JSON.parse(Fs.readFileSync("dist/help.json", "utf8"))
    expect(Object.keys(table).sort()).toEqual(paths.map((p) => p.join(" ")).sort())
    expect(paths.map((p) => p.join(" "))).toContain("logs send")
  })

  it("is what @effect/cli prints for every command and subcommand, with --help and -h", async () => {
    for (const path of paths) {
      const full = await runNode([fullPath, ...path, "--help"])
      expect(full.code, path.join(" ")).toBe(0)
      expect(full.stdout).toMatch(/USAGE/)
      for (const flag of ["--help", "-h"]) {
        const rendered = await runCli([...path, flag])
        expect({ path, flag, code: rendered.code, stdout: rendered.stdout, stderr: rendered.stderr })
          .toEqual({ path, flag, code: 0, stdout: full.stdout, stderr: "" })
      }
    }
  }, 120_000)

  it.skipIf(!hasScript)("keeps @effect/cli's colours on a terminal, and drops them with NO_COLOR", async () => {
    for (const path of [[], ["logs", "send"]]) {
      const full = onTerminal(fullPath, [...path, "--help"])
      expect(full).toContain("\x1b[")
      expect(onTerminal(bin, [...path, "--help"])).toBe(full)
    }
    const plain = await runCli(["status", "--help"], { env: { NO_COLOR: "1" } })
    expect(plain.stdout).not.toContain("\x1b[")
  })
})
