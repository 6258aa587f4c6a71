/**
 * Pure parsers for /proc text files. Each returns `undefined` for text it cannot understand so the
 * caller can name the file in its error.
 */

export interface ProcStat {
  readonly pid: number
  /** Command name (at most 15 bytes; may contain spaces and parentheses). */
  readonly comm: string
  readonly state: string
  readonly ppid: number
  /** Start time after boot, in clock ticks (field 22): with the pid, the process's identity. */
  readonly startTime: number
  /** PF_KTHREAD in the flags (field 9): a kernel thread has no executable, memory, fds or tracer. */
  readonly kernelThread: boolean
}

const PF_KTHREAD = 0x00200000

/** Parses `/proc/<pid>/stat`. The comm field is cut at the *last* `)` since it may contain `)`. */
export const parseStat = (text: string): ProcStat | undefined => {
  const open = text.indexOf("(")
  const close = text.lastIndexOf(")")
  if (open < 0 || close < open) return undefined
  const pid = Number(text.slice(0, open).trim())
  const rest = text.slice(close + 2).trim().split(" ")
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const state = rest[0]
  const ppid = Number(rest[1])
  const flags = Number(rest[6])
  const startTime = Number(rest[19])
  if (!Number.isInteger(pid) || state === undefined || !Number.isInteger(ppid) || !Number.isInteger(startTime)) {
    return undefined
  }
  // flags is an unsigned 32-bit field: test the bit without JS's signed 32-bit bitwise operators.
  const kernelThread = Number.isFinite(flags) && Math.floor(flags / PF_KTHREAD) % 2 === 1
  return { pid, comm: text.slice(open + 1, close), state, ppid, startTime, kernelThread }
}

export interface ProcIds {
  readonly real: number
  readonly effective: number
  readonly saved: number
  readonly fs: number
}
export interface ProcStatus {
  readonly uid: ProcIds
  readonly gid: ProcIds
}

const parseIds = (line: string | undefined): ProcIds | undefined => {
  if (line === undefined) return undefined
  const n = line.trim().split(/\s+/).map(Number)
  if (n.length < 4 || n.some((x) => !Number.isInteger(x))) return undefined
  return { real: n[0]!, effective: n[1]!, saved: n[2]!, fs: n[3]! }
}

/** Parses the `Uid:` and `Gid:` lines of `/proc/<pid>/status`. */
export const parseStatus = (text: string): ProcStatus | undefined => {
  let uidLine: string | undefined
  let gidLine: string | undefined
  for (const line of text.split("\n")) {
    if (line.startsWith("Uid:")) uidLine = line.slice(4)
    else if (line.startsWith("Gid:")) gidLine = line.slice(4)
  }
  const uid = parseIds(uidLine)
  const gid = parseIds(gidLine)
  return uid && gid ? { uid, gid } : undefined
}

/** Splits a NUL-separated file (cmdline, environ), dropping the trailing terminator. */
export const splitNul = (text: string): ReadonlyArray<string> => {
  if (text.length === 0) return []
  const parts = text.split("\0")
  if (parts[parts.length - 1] === "") parts.pop()
  return parts
}

/** The Unified Service Tagging variables kept from a process's environment; nothing else is retained. */
export interface UstEnv {
  readonly DD_SERVICE?: string
  readonly DD_ENV?: string
  readonly DD_VERSION?: string
}
const UST_KEYS = ["DD_SERVICE", "DD_ENV", "DD_VERSION"] as const

/** Keeps only DD_SERVICE/DD_ENV/DD_VERSION (non-empty, last occurrence wins) from a raw environ block. */
export const parseUstEnviron = (text: string): UstEnv => {
  const out: { -readonly [K in keyof UstEnv]: UstEnv[K] } = {}
  for (const entry of splitNul(text)) {
    for (const key of UST_KEYS) {
      if (entry.startsWith(key) && entry.charCodeAt(key.length) === 61 /* = */) {
        const value = entry.slice(key.length + 1)
        if (value.length > 0) out[key] = value
        else delete out[key]
      }
    }
  }
  return out
}

const CONTAINER_ID = /(?:^|[/\-:])([0-9a-f]{64})(?:\.scope)?$/
const ECS_TASK_ID = /\/([0-9a-f]{32}-\d{8,10})$/

/**
 * Extracts a container id from `/proc/<pid>/cgroup` (v1 or v2 paths such as `/docker/<id>`,
 * `.../docker-<id>.scope`, `.../cri-containerd-<id>.scope`, an ECS/Fargate task id).
 */
export const parseContainerId = (text: string): string | undefined => {
  for (const line of text.split("\n")) {
    const path = line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1).trim()
    if (path.length === 0) continue
    const m = CONTAINER_ID.exec(path) ?? ECS_TASK_ID.exec(path)
    if (m?.[1] !== undefined) return m[1]
  }
  return undefined
}
