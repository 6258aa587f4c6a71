/** Real-process helpers for the loader's integration tests (loopback and tmp-dir unix sockets only). */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { Deferred, Effect, Exit, Queue, type Scope } from "effect"

export const FAKE_AGENT = Path.resolve("test/loader/fixtures/fake-agent.mjs")
export const BIN = Path.resolve("bin/dd-agent.js")

export const freePort = Effect.async<number>((resume) => {
  const s = Net.createServer()
  s.listen({ host: "127.0.0.1", port: 0 }, () => {
    const port = (s.address() as Net.AddressInfo).port
    s.close(() => resume(Effect.succeed(port)))
  })
})

export const tmpDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "dd-loader-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Whether a process with this pid exists. */
export const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export interface Spawned {
  readonly pid: number
  /** JSON lines the fake agent printed on the loader's stdout. */
  readonly lines: Queue.Dequeue<Record<string, unknown>>
  readonly stderr: () => string
  /** Waits (bounded) until stderr contains `needle` `times` times. */
  readonly waitStderr: (needle: string, times?: number) => Effect.Effect<void, Error>
  readonly nextLine: Effect.Effect<Record<string, unknown>, Error>
  readonly exit: Effect.Effect<{ code: number | null; signal: string | null }>
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<void>
}

/** Runs `dd-agent loader …` as a real process; the scope stops it and any agent it started. */
export const spawnLoader = (
  args: ReadonlyArray<string>,
  env: Record<string, string>
): Effect.Effect<Spawned, never, Scope.Scope> =>
  Effect.gen(function*() {
    const lines = yield* Queue.unbounded<Record<string, unknown>>()
    const exited = yield* Deferred.make<{ code: number | null; signal: string | null }>()
    const agents: Array<number> = []
    let stderr = ""
    const stderrChanged = new Set<() => void>()
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const c = ChildProcess.spawn(process.execPath, [BIN, "loader", ...args], {
          env: { ...process.env, ...env },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let buf = ""
        c.stdout!.on("data", (d: Buffer) => {
          buf += d.toString("utf8")
          let i: number
          while ((i = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, i)
            buf = buf.slice(i + 1)
            try {
              const o = JSON.parse(line) as Record<string, unknown>
              if (typeof o["pid"] === "number") agents.push(o["pid"])
              Queue.unsafeOffer(lines, o)
            } catch {
              // not a fake-agent line
            }
          }
        })
        c.stderr!.on("data", (d: Buffer) => {
          stderr += d.toString("utf8")
          for (const f of stderrChanged) f()
        })
        c.once("exit", (code, signal) => Deferred.unsafeDone(exited, Exit.succeed({ code, signal })))
        return c
      }),
      (c) =>
        Effect.gen(function*() {
          if (!(yield* Deferred.isDone(exited))) {
            c.kill("SIGTERM")
            const r = yield* Deferred.await(exited).pipe(Effect.timeoutOption("5 seconds"))
            if (r._tag === "None") c.kill("SIGKILL")
            yield* Deferred.await(exited).pipe(Effect.timeoutOption("5 seconds"))
          }
          for (const pid of agents) if (alive(pid)) process.kill(pid, "SIGKILL")
        })
    )
    const count = (needle: string) => stderr.split(needle).length - 1
    return {
      pid: child.pid!,
      lines,
      stderr: () => stderr,
      waitStderr: (needle, times = 1) =>
        Effect.async<void>((resume) => {
          const check = () => {
            if (count(needle) >= times) {
              stderrChanged.delete(check)
              resume(Effect.void)
            }
          }
          stderrChanged.add(check)
          check()
          return Effect.sync(() => stderrChanged.delete(check))
        }).pipe(
          Effect.timeoutFail({
            duration: "20 seconds",
            onTimeout: () => new Error(`stderr never had ${times}× ${JSON.stringify(needle)}:\n${stderr}`)
          })
        ),
      nextLine: Queue.take(lines).pipe(
        Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(`no agent line; stderr:\n${stderr}`) })
      ),
      exit: Deferred.await(exited),
      kill: (signal) => Effect.sync(() => void child.kill(signal))
    } satisfies Spawned
  })

type Target = { readonly port: number } | { readonly path: string }
const connectTo = (t: Target) =>
  "port" in t ? Net.connect({ host: "127.0.0.1", port: t.port }) : Net.connect({ path: t.path })

/** Connects and closes without sending a byte: FIN, or RST when `reset`. */
export const probe = (t: Target, reset: boolean) =>
  Effect.async<void, Error>((resume) => {
    const s = connectTo(t)
    s.once("error", (e) => resume(Effect.fail(e)))
    s.once("connect", () => {
      if (reset) s.resetAndDestroy()
      else s.end()
    })
    s.once("close", () => resume(Effect.void))
    s.resume()
  }).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("probe timed out") }))

/** Sends a raw HTTP POST and returns the whole response (the server closes the connection). */
export const httpPost = (t: Target, path: string, body: string) =>
  Effect.async<string, Error>((resume) => {
    const s = connectTo(t)
    const chunks: Array<Buffer> = []
    s.once("error", (e) => resume(Effect.fail(e)))
    s.on("data", (d: Buffer) => chunks.push(d))
    s.once("close", () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8"))))
    s.write(
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/msgpack\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
    )
    return Effect.sync(() => s.destroy())
  }).pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error("request timed out") }))

export const bodyOf = (response: string) => response.slice(response.indexOf("\r\n\r\n") + 4)

/** True when nothing listens on the port any more (binding it succeeds). */
export const portIsFree = (port: number) =>
  Effect.async<boolean>((resume) => {
    const s = Net.createServer()
    s.once("error", () => resume(Effect.succeed(false)))
    s.listen({ host: "127.0.0.1", port }, () => s.close(() => resume(Effect.succeed(true))))
  })

/** A unix socket the fake agent reports to (FAKE_AGENT_REPORT), for in-process tests. */
export const reportServer = (dir: string) =>
  Effect.gen(function*() {
    const path = Path.join(dir, "report.sock")
    const lines = yield* Queue.unbounded<Record<string, unknown>>()
    const server = yield* Effect.acquireRelease(
      Effect.async<Net.Server>((resume) => {
        const s = Net.createServer((c) => {
          let buf = ""
          c.on("error", () => {})
          c.on("data", (d: Buffer) => {
            buf += d.toString("utf8")
            let i: number
            while ((i = buf.indexOf("\n")) >= 0) {
              Queue.unsafeOffer(lines, JSON.parse(buf.slice(0, i)) as Record<string, unknown>)
              buf = buf.slice(i + 1)
            }
          })
        })
        s.listen({ path }, () => resume(Effect.succeed(s)))
      }),
      (s) => Effect.async<void>((resume) => void s.close(() => resume(Effect.void))).pipe(Effect.timeoutOption("3 seconds"))
    )
    return {
      path,
      server,
      next: Queue.take(lines).pipe(
        Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error("no report from the fake agent") })
      )
    }
  })
