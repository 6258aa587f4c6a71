/** Builders for in-memory processes and tracer memfds. */
import { encode } from "@msgpack/msgpack"
import type { MemoryFd, MemoryProcess } from "../../src/layers/process/ProcFsMemory.js"

export const memfd = (
  suffix: string,
  payload: Record<string, unknown> | Uint8Array,
  mtimeNs: bigint,
  inode: number
): MemoryFd => ({
  target: `/memfd:datadog-tracer-info-${suffix} (deleted)`,
  file: { bytes: payload instanceof Uint8Array ? payload : encode(payload), mtimeNs, inode }
})

export const socket = (n: number): MemoryFd => ({ target: `socket:[${n}]` })

export const proc = (
  pid: number,
  ppid: number,
  startTime: number,
  comm: string,
  extra: Partial<MemoryProcess> = {}
): MemoryProcess => ({ pid, ppid, startTime, comm, exe: `/usr/bin/${comm}`, cmdline: [comm], ...extra })

export const fds = (...entries: ReadonlyArray<readonly [number, MemoryFd]>): ReadonlyMap<number, MemoryFd> =>
  new Map(entries)

export const meta = (service: string, runtimeId = `${service}-rid`) => ({
  schema_version: 2,
  runtime_id: runtimeId,
  tracer_language: "python",
  tracer_version: "3.1.0",
  hostname: "host-a",
  service_name: service,
  service_env: "prod",
  service_version: "1.0",
  process_tags: "entrypoint.name:app"
})
