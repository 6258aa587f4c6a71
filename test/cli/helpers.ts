/** Runs the CLI as users do (`node bin/dd-agent.js`, which runs the bundle test/buildBundle.ts built). */
import { spawn } from "node:child_process"
import * as Path from "node:path"

export const bin = Path.resolve("bin/dd-agent.js")

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `node [nodeArgs] SCRIPT args` to its end (stdin closed unless `input` is given). */
export const runNode = (
  argv: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly input?: string; readonly cwd?: string } = {}
) =>
  new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => { stdout += String(d) })
    child.stderr.on("data", (d) => { stderr += String(d) })
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
    child.stdin.end(options.input ?? "")
  })

/** Runs `dd-agent args` to its end. */
export const runCli = (args: ReadonlyArray<string>, options: Parameters<typeof runNode>[1] & { readonly nodeArgs?: ReadonlyArray<string> } = {}) =>
  runNode([...(options.nodeArgs ?? []), bin, ...args], options)
