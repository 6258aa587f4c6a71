/**
 * Real Node.js targets for live-capture tests: a child process whose stdout lines are events the test
 * waits on (bounded), killed when the scope closes. Started with `--inspect-port=0` so SIGUSR1 opens
 * the inspector on a free loopback port (tests run in parallel; 9229 may be taken).
 */
import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { buildSync } from "esbuild"
import { Deferred, Duration, Effect, Exit, Queue } from "effect"

export interface Target {
  readonly pid: number
  readonly child: cp.ChildProcess
  /** Takes stdout lines until one satisfies `pred` (fails after `within`). */
  readonly waitFor: (pred: (line: string) => boolean, within?: Duration.DurationInput) => Effect.Effect<string, Error>
  readonly exited: Effect.Effect<number | null>
}

export const fixture = (name: string) => path.resolve("test/debugger/live/fixtures", name)

/** 1-based line of the `// probe:NAME` marker in a fixture. */
export const markerLine = (file: string, name: string): number => {
  const lines = fs.readFileSync(file, "utf8").split("\n")
  const i = lines.findIndex((l) => l.includes(`// probe:${name}`))
  if (i < 0) throw new Error(`no marker ${name} in ${file}`)
  return i + 1
}

export const spawnTarget = (file: string, options: { env?: Record<string, string>; args?: ReadonlyArray<string> } = {}) =>
  Effect.gen(function*() {
    const exited = yield* Deferred.make<number | null>()
    const lines = yield* Effect.acquireRelease(Queue.unbounded<string>(), Queue.shutdown)
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const c = cp.spawn(process.execPath, [...(options.args ?? ["--inspect-port=0"]), file], {
          stdio: ["pipe", "pipe", "pipe"],
          env: { ...process.env, ...options.env }
        })
        c.on("exit", (code) => Deferred.unsafeDone(exited, Exit.succeed(code)))
        c.on("error", () => Deferred.unsafeDone(exited, Exit.succeed(null)))
        readline.createInterface({ input: c.stdout! }).on("line", (l) => Queue.unsafeOffer(lines, l))
        c.stderr!.resume()
        return c
      }),
      (c) =>
        Effect.gen(function*() {
          if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
          yield* Deferred.await(exited).pipe(Effect.timeoutOption("5 seconds"))
        })
    )
    const waitFor = (pred: (line: string) => boolean, within: Duration.DurationInput = "20 seconds") =>
      Effect.gen(function*() {
        while (true) {
          const l = yield* Queue.take(lines)
          if (pred(l)) return l
        }
      }).pipe(Effect.timeoutFail({ duration: within, onTimeout: () => new Error(`target ${child.pid}: no matching line within ${Duration.format(Duration.decode(within))}`) }))
    yield* waitFor((l) => l === "ready")
    return { pid: child.pid!, child, waitFor, exited: Deferred.await(exited) } satisfies Target
  })

/** Compiles a TypeScript fixture with esbuild into a temp dir (removed with the scope), with a source map file. */
export const compileTs = (file: string, sourcemap: "linked" | "inline" = "linked") =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "dd-live-ts-"))),
      (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
    )
    const out = path.join(dir, "service.js")
    buildSync({ entryPoints: [file], outfile: out, format: "cjs", platform: "node", sourcemap, logLevel: "silent" })
    return out
  })
