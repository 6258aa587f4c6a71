/**
 * Turning two /proc scans into process events. Polling cannot see fork and exec themselves, so a new
 * (pid, start time) whose parent runs the same command is reported as a fork (it has not exec'd yet), any
 * other new process as an exec (fork + exec happened between two scans), a known process whose command
 * name changed as an exec, and a (pid, start time) no longer present as an exit. A reused pid is an exit
 * of the old incarnation followed by the start of the new one.
 */
export interface Observation {
  readonly pid: number
  readonly ppid: number
  readonly startTime: number
  readonly comm: string
  readonly kernelThread?: boolean
}

export type ScanChange =
  | { readonly _tag: "Forked"; readonly process: Observation }
  | { readonly _tag: "Execed"; readonly process: Observation; readonly previousComm: string | undefined }
  | { readonly _tag: "Exited"; readonly process: Observation }

/** Changes between `previous` (by pid) and `current`: exits first, then starts in pid order. */
export const diffScan = (
  previous: ReadonlyMap<number, Observation>,
  current: ReadonlyArray<Observation>
): ReadonlyArray<ScanChange> => {
  const exits: Array<ScanChange> = []
  const starts: Array<ScanChange> = []
  const byPid = new Map<number, Observation>()
  for (const o of current) byPid.set(o.pid, o)
  for (const [pid, old] of previous) {
    const now = byPid.get(pid)
    if (now === undefined || now.startTime !== old.startTime) exits.push({ _tag: "Exited", process: old })
  }
  for (const o of current) {
    const old = previous.get(o.pid)
    if (old !== undefined && old.startTime === o.startTime) {
      if (old.comm !== o.comm) starts.push({ _tag: "Execed", process: o, previousComm: old.comm })
      continue
    }
    const parent = byPid.get(o.ppid)
    starts.push(
      parent !== undefined && parent.comm === o.comm && parent.startTime <= o.startTime
        ? { _tag: "Forked", process: o }
        : { _tag: "Execed", process: o, previousComm: undefined }
    )
  }
  return [...exits, ...starts]
}
