/**
 * Finds the inspector of a Node.js process by pid, loopback only: checks the process (exists, is Node,
 * belongs to this user unless root), matches its listening sockets (/proc/PID/fd inodes against
 * /proc/PID/net/tcp{,6}) and asks each loopback listener `GET /json/version` to find the inspector; when
 * there is none, sends SIGUSR1 (Node's signal to open its inspector on 127.0.0.1:9229, or the next free
 * port) and waits for one to appear. A listener bound to a non-loopback address is never connected to.
 */
import * as fs from "node:fs/promises"
import { Duration, Effect, Option, Schedule } from "effect"
import type { AttachError } from "../../../services/debugger/live/errors.js"
import {
  InspectorUnreachable,
  NonLoopbackInspector,
  NotNodeProcess,
  OtherUserProcess,
  ProcessNotFound,
  ProcReadFailed
} from "../../../services/debugger/live/errors.js"
import { errnoOf } from "../../../services/process/errors.js"
import type { Listener } from "../../../services/debugger/live/ProcSockets.js"
import { catchesSigusr1, looksLikeNode, parseListeners, parseUids, socketInode } from "../../../services/debugger/live/ProcSockets.js"

export interface InspectorTarget {
  readonly pid: number
  /** ws://127.0.0.1:PORT/UUID, on the verified listener's address. */
  readonly webSocketUrl: string
  readonly address: string
  readonly port: number
  /** true when this call opened the inspector with SIGUSR1 (it stays open after detach). */
  readonly openedBySignal: boolean
}

export interface LocateOptions {
  readonly procRoot?: string | undefined
  /** How long to wait for the inspector after SIGUSR1. */
  readonly signalTimeout?: Duration.DurationInput | undefined
  /** This process's uid (default `process.getuid()`); 0 may attach to any user's process. */
  readonly ownUid?: number | undefined
}

type ProcOperation = ProcReadFailed["operation"]

/**
 * One file-system call on the target's /proc entries: ENOENT/ESRCH means the process (or the fd) is gone;
 * anything else is a failure naming the path and the operation.
 */
const procCall = <A>(pid: number, operation: ProcOperation, path: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (e): ProcessNotFound | ProcReadFailed => {
      const code = errnoOf(e)
      return code === "ENOENT" || code === "ESRCH"
        ? new ProcessNotFound({ pid })
        : new ProcReadFailed({ pid, path, operation, detail: e instanceof Error ? e.message : String(e) })
    }
  })

const read = (pid: number, path: string) => procCall(pid, "read", path, () => fs.readFile(path, "utf8"))

/** Absent is empty: a descriptor closed since the directory was listed, a kernel without IPv6 (no tcp6). */
const orEmptyIfAbsent = <A>(empty: A) => <B, E, R>(self: Effect.Effect<B, E | ProcessNotFound, R>) =>
  Effect.catchIf(self, (e): e is ProcessNotFound => e instanceof ProcessNotFound, () => Effect.succeed(empty))

const processListeners = (root: string, pid: number) =>
  Effect.gen(function*() {
    const fds = yield* procCall(pid, "readdir", `${root}/${pid}/fd`, () => fs.readdir(`${root}/${pid}/fd`))
    const inodes = new Set<number>()
    yield* Effect.forEach(fds, (fd) =>
      procCall(pid, "readlink", `${root}/${pid}/fd/${fd}`, () => fs.readlink(`${root}/${pid}/fd/${fd}`)).pipe(
        Effect.map((link) => {
          const inode = socketInode(link)
          if (inode !== undefined) inodes.add(inode)
        }),
        orEmptyIfAbsent(undefined)
      ), { concurrency: 16, discard: true })
    const tables = yield* Effect.forEach(["tcp", "tcp6"], (t) => read(pid, `${root}/${pid}/net/${t}`).pipe(orEmptyIfAbsent("")))
    return tables.flatMap(parseListeners).filter((l) => inodes.has(l.inode))
  })

const hostOf = (l: Listener) => (l.address.includes(":") ? `[${l.address}]` : l.address)

const getJson = (pid: number, url: string) =>
  Effect.tryPromise({
    try: async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      return (await res.json()) as unknown
    },
    catch: (e) => new InspectorUnreachable({ pid, detail: `GET ${url}: ${e instanceof Error ? e.message : String(e)}` })
  })

/** The debugger URL of a loopback listener that is a Node inspector, if it is one. */
const inspectorAt = (pid: number, l: Listener) =>
  Effect.gen(function*() {
    const base = `http://${hostOf(l)}:${l.port}`
    const version = yield* getJson(pid, `${base}/json/version`)
    const browser = (version as { Browser?: unknown }).Browser
    if (typeof browser !== "string" || !browser.startsWith("node.js")) return Option.none<string>()
    const list = yield* getJson(pid, `${base}/json/list`)
    const entry = Array.isArray(list)
      ? (list as ReadonlyArray<{ webSocketDebuggerUrl?: unknown }>).find((t) => typeof t.webSocketDebuggerUrl === "string")
      : undefined
    if (entry === undefined) return Option.none<string>()
    // Connect to the listener we verified, whatever host the target wrote in its URL.
    const path = new URL(String(entry.webSocketDebuggerUrl)).pathname
    return Option.some(`ws://${hostOf(l)}:${l.port}${path}`)
  }).pipe(
    // A listener that does not answer the inspector's HTTP endpoints is some other server of the process.
    Effect.catchTag("InspectorUnreachable", () => Effect.succeed(Option.none<string>()))
  )

/** `--inspect[-brk|-port|-wait]=[host:]port` flags of a command line, as [host, port]. */
export const inspectFlags = (cmdline: ReadonlyArray<string>): ReadonlyArray<readonly [string | undefined, number]> =>
  cmdline.flatMap((arg) => {
    const m = /^--inspect(?:-brk|-port|-wait)?=(?:(.+):)?(\d+)$/.exec(arg)
    return m === null ? [] : [[m[1], Number(m[2])] as const]
  })

const findInspector = (root: string, pid: number, suspectPorts: ReadonlySet<number>) =>
  Effect.gen(function*() {
    const listeners = yield* processListeners(root, pid)
    const exposed = listeners.find((l) => !l.loopback && suspectPorts.has(l.port))
    if (exposed !== undefined) {
      return yield* new NonLoopbackInspector({ pid, address: `${exposed.address}:${exposed.port}` })
    }
    for (const l of listeners.filter((x) => x.loopback)) {
      const url = yield* inspectorAt(pid, l)
      if (Option.isSome(url)) return Option.some({ url: url.value, listener: l })
    }
    return Option.none<{ url: string; listener: Listener }>()
  })

export const locateInspector = (pid: number, options: LocateOptions = {}): Effect.Effect<InspectorTarget, AttachError> =>
  Effect.gen(function*() {
    const root = options.procRoot ?? "/proc"
    const status = yield* read(pid, `${root}/${pid}/status`)
    const cmdline = yield* read(pid, `${root}/${pid}/cmdline`).pipe(Effect.map((s) => s.split("\0").filter((a) => a !== "")))
    // Another user's process hides its exe link (EACCES; the uid check below names the reason) and a kernel
    // thread has none: the command line's first word stands in.
    const exePath = `${root}/${pid}/exe`
    const hidden = (e: unknown) => ["ENOENT", "EACCES", "EPERM"].includes(errnoOf(e) ?? "")
    const exe = yield* Effect.tryPromise({
      try: async () => (await fs.readlink(exePath).catch((e) => hidden(e) ? undefined : Promise.reject(e))) ?? cmdline[0] ?? "",
      catch: (e) => new ProcReadFailed({ pid, path: exePath, operation: "readlink", detail: e instanceof Error ? e.message : String(e) })
    })
    if (!looksLikeNode(exe) && !looksLikeNode(cmdline[0] ?? "")) {
      return yield* new NotNodeProcess({ pid, exe: exe === "" ? "(unknown executable)" : exe })
    }
    const uids = parseUids(status)
    const own = options.ownUid ?? process.getuid?.() ?? 0
    if (uids !== undefined && own !== 0 && (uids.real !== own || uids.effective !== own)) {
      return yield* new OtherUserProcess({ pid, uid: uids.effective, ownUid: own })
    }
    // Ports a non-loopback inspector could be on: the flags the process was started with, and the default.
    const suspect = new Set([9229, ...inspectFlags(cmdline).map(([, port]) => port)])
    const first = yield* findInspector(root, pid, suspect)
    if (Option.isSome(first)) {
      const { listener, url } = first.value
      return { pid, webSocketUrl: url, address: listener.address, port: listener.port, openedBySignal: false }
    }
    const timeout = Duration.decode(options.signalTimeout ?? "3 seconds")
    // Never send SIGUSR1 to a process that does not handle it: its default action ends the process.
    yield* read(pid, `${root}/${pid}/status`).pipe(
      Effect.flatMap((s) => catchesSigusr1(s) ? Effect.void : Effect.fail("none" as const)),
      Effect.retry({ while: (e) => e === "none", schedule: Schedule.spaced("25 millis").pipe(Schedule.upTo(timeout)) }),
      Effect.catchIf((e): e is "none" => e === "none", () =>
        new InspectorUnreachable({
          pid,
          detail: "it does not handle SIGUSR1 (still starting, or run with --disable-sigusr1), which would end it; not signalled"
        }))
    )
    yield* Effect.try({
      try: () => process.kill(pid, "SIGUSR1"),
      catch: (e) => new InspectorUnreachable({ pid, detail: `SIGUSR1: ${e instanceof Error ? e.message : String(e)}` })
    })
    const found = yield* findInspector(root, pid, suspect).pipe(
      Effect.flatMap(Option.match({
        onNone: () => Effect.fail("none" as const),
        onSome: (x) => Effect.succeed(x)
      })),
      Effect.retry({
        while: (e) => e === "none",
        schedule: Schedule.spaced("25 millis").pipe(Schedule.upTo(timeout))
      }),
      Effect.catchIf((e): e is "none" => e === "none", () =>
        new InspectorUnreachable({
          pid,
          detail: `no loopback inspector appeared within ${Duration.format(timeout)} of SIGUSR1 ` +
            "(started with --disable-sigusr1, or handling SIGUSR1 itself?)"
        }))
    )
    return {
      pid,
      webSocketUrl: found.url,
      address: found.listener.address,
      port: found.listener.port,
      openedBySignal: true
    }
  })
