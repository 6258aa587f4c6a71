/**
 * Finding a process's listening TCP sockets from /proc text: `/proc/PID/net/tcp{,6}` rows in LISTEN
 * state whose inode is one of the process's socket file descriptors. Pure parsers.
 */

export interface Listener {
  /** Dotted IPv4 or canonical-ish IPv6 text. */
  readonly address: string
  readonly port: number
  readonly inode: number
  readonly loopback: boolean
}

const word = (hex: string): ReadonlyArray<number> => {
  // /proc prints each 32-bit word in host (little-endian) order.
  const b = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16))
  return [b[3]!, b[2]!, b[1]!, b[0]!]
}

const ipv4 = (hex: string): { address: string; loopback: boolean } => {
  const bytes = word(hex)
  return { address: bytes.join("."), loopback: bytes[0] === 127 }
}

const ipv6 = (hex: string): { address: string; loopback: boolean } => {
  const bytes = [0, 8, 16, 24].flatMap((i) => word(hex.slice(i, i + 8)))
  const groups: Array<string> = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16))
  const zeros = bytes.slice(0, 10).every((b) => b === 0)
  const isLoopback6 = bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1
  const mapped = zeros && bytes[10] === 0xff && bytes[11] === 0xff
  if (mapped) return { address: `::ffff:${bytes.slice(12).join(".")}`, loopback: bytes[12] === 127 }
  return { address: isLoopback6 ? "::1" : groups.join(":"), loopback: isLoopback6 }
}

/** LISTEN rows of a /proc/net/tcp or tcp6 table. */
export const parseListeners = (table: string): ReadonlyArray<Listener> => {
  const out: Array<Listener> = []
  for (const line of table.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 10 || cols[3] !== "0A") continue
    const [addrHex, portHex] = cols[1]!.split(":")
    if (addrHex === undefined || portHex === undefined) continue
    const ip = addrHex.length === 8 ? ipv4(addrHex) : addrHex.length === 32 ? ipv6(addrHex) : undefined
    if (ip === undefined) continue
    out.push({ ...ip, port: parseInt(portHex, 16), inode: Number(cols[9]) })
  }
  return out
}

/** The inode of a `/proc/PID/fd/N` link target `socket:[12345]`. */
export const socketInode = (link: string): number | undefined => {
  const m = /^socket:\[(\d+)\]$/.exec(link)
  return m === null ? undefined : Number(m[1])
}

/** Real and effective uid from /proc/PID/status. */
export const parseUids = (status: string): { readonly real: number; readonly effective: number } | undefined => {
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status)
  return m === null ? undefined : { real: Number(m[1]), effective: Number(m[2]) }
}

/** Whether an executable path (or argv[0]) names a Node.js binary: `node`, `nodejs`, `node24`, … */
export const looksLikeNode = (exe: string): boolean => {
  const base = exe.replace(/ \(deleted\)$/, "").split("/").pop() ?? ""
  return /^node(js)?[0-9.]*$/.test(base)
}

/**
 * Whether the process catches SIGUSR1 (`SigCgt` of /proc/PID/status). A Node process that does not —
 * still starting, or run with --disable-sigusr1 — would be killed by it (the default action).
 */
export const catchesSigusr1 = (status: string): boolean => {
  const m = /^SigCgt:\s+([0-9a-fA-F]+)/m.exec(status)
  return m !== null && (BigInt(`0x${m[1]}`) & (1n << 9n)) !== 0n
}
