/**
 * Non-consuming classification of held TCP connections from the kernel's socket tables
 * (/proc/self/net/tcp and tcp6). Pure: parsing and the decision rule only; the live classifier
 * reads the files and the socket inodes.
 */
import { Classification } from "./Policy.js"

/** Kernel TCP states (include/net/tcp_states.h) that matter here. */
export const TcpState = {
  ESTABLISHED: 0x01,
  CLOSE: 0x07,
  CLOSE_WAIT: 0x08,
  LAST_ACK: 0x09,
  LISTEN: 0x0a
} as const

export interface TcpRow {
  readonly state: number
  /** Bytes in the receive queue (for CLOSE_WAIT this includes one for the FIN). */
  readonly rxQueue: number
  readonly inode: number
}

/**
 * Parses the text of one or more /proc/net/tcp-style tables into rows keyed by socket inode.
 * Header lines and malformed lines are skipped (the kernel format is fixed; a line that does not
 * match is a header).
 */
export const parseTcpTable = (text: string, into: Map<number, TcpRow> = new Map()): Map<number, TcpRow> => {
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/)
    if (f.length < 10 || !/^\d+:$/.test(f[0] ?? "")) continue
    const st = Number.parseInt(f[3] ?? "", 16)
    const queues = (f[4] ?? "").split(":")
    const rx = Number.parseInt(queues[1] ?? "", 16)
    const inode = Number.parseInt(f[9] ?? "", 10)
    if (!Number.isFinite(st) || !Number.isFinite(rx) || !Number.isFinite(inode) || inode === 0) continue
    into.set(inode, { state: st, rxQueue: rx, inode })
  }
  return into
}

/**
 * The decision rule, measured on Linux with paused (unread) sockets:
 * - no row: the socket was reset (RST unhashes it) → closed;
 * - CLOSE_WAIT / LAST_ACK / CLOSE with at most the FIN in the queue → closed;
 * - bytes in the queue → data (a FIN after data counts one extra in CLOSE_WAIT);
 * - otherwise the peer is silent → idle.
 */
export const classifyRow = (row: TcpRow | undefined): Classification => {
  if (row === undefined) return Classification.Closed()
  const closing = row.state === TcpState.CLOSE_WAIT || row.state === TcpState.LAST_ACK || row.state === TcpState.CLOSE
  if (closing) return row.rxQueue <= 1 ? Classification.Closed() : Classification.Data({ bytes: row.rxQueue - 1 })
  if (row.rxQueue > 0) return Classification.Data({ bytes: row.rxQueue })
  return Classification.Idle()
}

/**
 * One look at the tables for every watched socket (id → inode): the verdict of each one that is decided
 * (closed or data), in the order given; silent ones are left out.
 */
export const decidedConnections = (
  texts: ReadonlyArray<string>,
  watched: Iterable<readonly [id: number, inode: number]>
): Array<readonly [id: number, verdict: Classification]> => {
  const table = new Map<number, TcpRow>()
  for (const t of texts) parseTcpTable(t, table)
  const decided: Array<readonly [number, Classification]> = []
  for (const [id, inode] of watched) {
    const verdict = classifyRow(table.get(inode))
    if (verdict._tag !== "Idle") decided.push([id, verdict])
  }
  return decided
}
