import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { describe, expect, it } from "vitest"

const npm = process.platform === "win32" ? "npm.cmd" : "npm"

/** Runs a program to its end without blocking the test worker; resolves with its stdout. */
const run = (file: string, args: ReadonlyArray<string>, cwd?: string) =>
  new Promise<string>((resolve, reject) =>
    execFile(file, args, { encoding: "utf8", cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(" ")}: ${error.message}\n${stderr}`)) : resolve(stdout)))

/**
 * The README's embedding example, compiled with tsc and run against the package `npm pack` produces, installed
 * into a host directory whose other dependencies (the peers: effect, @effect/*) are the project's own.
 */
describe("the packed package", () => {
  it("exports ESM and .d.ts that the embedding example compiles against and runs with", async () => {
    const host = Fs.mkdtempSync(Path.join(Os.tmpdir(), "embed-"))
    // The bundle is built by the suite's global setup; rebuilding it here (npm pack's prepack) would replace it
    // under the other CLI tests, so build the library alone and pack without scripts.
    await run(npm, ["run", "--silent", "build:lib"])
    const tarball = (await run(npm, ["pack", "--silent", "--ignore-scripts", "--pack-destination", host])).trim().split("\n").pop()!
    const modules = Path.join(host, "node_modules")
    const pkg = Path.join(modules, "dd-agent-effect")
    Fs.mkdirSync(pkg, { recursive: true })
    await run("tar", ["-xzf", Path.join(host, tarball), "-C", pkg, "--strip-components=1"])
    for (const dep of Fs.readdirSync("node_modules")) {
      if (dep === ".bin" || dep.startsWith(".") || dep === "dd-agent-effect") continue
      Fs.symlinkSync(Path.resolve("node_modules", dep), Path.join(modules, dep))
    }
    const manifest = JSON.parse(Fs.readFileSync(Path.join(pkg, "package.json"), "utf8"))
    expect(Object.keys(manifest.peerDependencies)).toEqual(expect.arrayContaining(["effect", "@effect/platform", "@effect/platform-node"]))
    expect(Fs.existsSync(Path.join(pkg, manifest.exports["."].types))).toBe(true)

    Fs.copyFileSync(Path.join(pkg, "examples", "embed", "embed.ts"), Path.join(host, "embed.ts"))
    Fs.writeFileSync(Path.join(host, "package.json"), JSON.stringify({ name: "host", private: true, type: "module" }))
    Fs.writeFileSync(
      Path.join(host, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, types: ["node"], outDir: "out" },
        files: ["embed.ts"]
      })
    )
    await run(process.execPath, [Path.resolve("node_modules/typescript/bin/tsc"), "-p", host])
    const stdout = await run(process.execPath, [Path.join(host, "out", "embed.js")], host)
    expect(stdout.split("\n").filter((l) => l.startsWith("delivered: "))).toEqual(["delivered: first", "delivered: second", "delivered: third"])
    expect(stdout).toContain("acked: 3")
    expect(stdout).toMatch(/agent ready: status on 127\.0\.0\.1:\d+/)
    expect(stdout).toContain("agent stopped")
  }, 300_000)
})
