import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import { afterAll, describe, expect, it } from "vitest"
import { commands } from "../../src/programs/cli.js"
import { dataFlags, loaderFlags } from "../../src/programs/nodeFlags.js"
import { version } from "../../src/programs/version.js"
import { bin, runCli, runNode } from "./helpers.js"

const scratch: Array<string> = []
const tmp = () => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "cli-startup-"))
  scratch.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of scratch) Fs.rmSync(dir, { recursive: true, force: true })
})

/** The bundle chunks (dist/chunks/NAME-HASH.mjs, by source file name) a command loads. */
const chunksLoaded = async (args: ReadonlyArray<string>) => {
  const record = Path.join(tmp(), "modules.txt")
  const r = await runCli(args, {
    nodeArgs: ["--import", Path.resolve("test/cli/fixtures/record-modules.mjs")],
    env: { RECORD_MODULES_TO: record }
  })
  expect(r.code).toBe(0)
  const urls = Fs.existsSync(record) ? Fs.readFileSync(record, "utf8").split("\n").filter(Boolean) : []
  return { urls, chunks: urls.flatMap((u) => /\/dist\/chunks\/([A-Za-z]+)-[A-Z0-9]+\.mjs$/.exec(u)?.[1] ?? []), stdout: r.stdout }
}

/** Starts `node argv`, resolves with its pid and its command line once it wrote its first stdout line. */
const cmdlineOnceStarted = (argv: ReadonlyArray<string>, env: Record<string, string> = {}, readyOn: "stdout" | "stderr" = "stdout") =>
  new Promise<string[]>((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (d) => { stderr += String(d) })
    child.on("exit", (code) => reject(new Error(`exited ${code} before starting: ${stderr}`)))
    Readline.createInterface({ input: readyOn === "stdout" ? child.stdout : child.stderr }).once("line", () => {
      // process.execve keeps the pid: the command line is the one the process runs now.
      const cmdline = Fs.readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0").filter(Boolean)
      child.removeAllListeners("exit")
      child.kill("SIGKILL")
      resolve(cmdline)
    })
  })

describe("dd-agent start-up", () => {
  it("--version prints the version without loading the CLI", async () => {
    const { chunks, stdout, urls } = await chunksLoaded(["--version"])
    expect(stdout).toBe(`${version}\n`)
    expect(chunks.filter((c) => c !== "chunk")).toEqual([]) // only shared chunks: no cliMain, no command
    const bytes = urls.reduce((n, u) => n + Fs.statSync(new URL(u)).size, 0)
    expect(bytes).toBeLessThan(20_000) // the launcher alone: Effect is hundreds of kB
  })

  it("a command's --help is answered without loading the CLI or any package", async () => {
    for (const args of [["status", "--help"], ["logs", "send", "-h"], ["--help"]]) {
      const { chunks, stdout, urls } = await chunksLoaded(args)
      expect(stdout).toMatch(/^USAGE$/m)
      expect(chunks.filter((c) => c !== "chunk")).toEqual([])
      expect(urls.filter((u) => u.includes("/node_modules/"))).toEqual([])
      expect(urls.reduce((n, u) => n + Fs.statSync(new URL(u)).size, 0)).toBeLessThan(20_000)
    }
  })

  it("help asked with other arguments goes through the CLI, which loads the command named", async () => {
    const { chunks, stdout } = await chunksLoaded(["status", "--help", "--log-level", "info"])
    expect(stdout).toContain("--address")
    expect(chunks).toEqual(expect.arrayContaining(["cliMain", "status"]))
  })

  it("a command loads its own module and none of the others", async () => {
    const { chunks, stdout } = await chunksLoaded(["config", "check", "--config", "examples/agent.yaml"])
    expect(stdout).toContain('"effective"')
    expect(chunks).toContain("config")
    for (const other of ["agent", "intake", "logsSend", "processes", "snapshot", "loader", "debug", "status"]) expect(chunks).not.toContain(other)
  })

  it("the top-level help lists every command", async () => {
    const r = await runCli(["--help"])
    expect(r.code).toBe(0)
    for (const [name] of commands) expect(r.stdout).toMatch(new RegExp(`^\\s*- ${name}\\b`, "m"))
  })

  it("keeps V8's compile cache in NODE_COMPILE_CACHE", async () => {
    const cache = tmp()
    const r = await runCli(["status", "--help"], { env: { NODE_COMPILE_CACHE: cache } })
    expect(r.code).toBe(0)
    expect(Fs.readdirSync(cache, { recursive: true }).length).toBeGreaterThan(1)
  })

  it("without the bundle, the bin says how to build it in one line and exits 1", async () => {
    const pkg = tmp()
    Fs.mkdirSync(Path.join(pkg, "bin"))
    Fs.copyFileSync(bin, Path.join(pkg, "bin", "dd-agent.js"))
    const r = await runNode([Path.join(pkg, "bin", "dd-agent.js"), "--version"])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toMatch(/^dd-agent: dist\/dd-agent\.mjs is missing: run `npm run build`/)
  })

  it("runs the data commands with the agent's V8 settings, keeping the ones given on the command line", async () => {
    const intake = await cmdlineOnceStarted([bin, "intake", "--listen", "127.0.0.1:0"])
    for (const flag of dataFlags) expect(intake).toContain(flag)
    const given = await cmdlineOnceStarted(["--max-semi-space-size=2", bin, "intake", "--listen", "127.0.0.1:0"])
    expect(given.filter((a) => a.startsWith("--max-semi-space-size"))).toEqual(["--max-semi-space-size=2"])
  })

  it("runs the loader alone with the loader's V8 settings", async () => {
    const dir = tmp()
    const loader = await cmdlineOnceStarted(
      [Path.resolve("dist/dd-agent-loader.mjs"), "--", process.execPath, "-e", "0"],
      { DD_APM_RECEIVER_PORT: "0", DD_APM_RECEIVER_SOCKET: Path.join(dir, "apm.sock") },
      "stderr"
    )
    for (const flag of loaderFlags) expect(loader).toContain(flag)
  })
})
