/** Renders an agent's /status JSON as a short readable report. */

const get = (o: unknown, ...path: Array<string>): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined), o)

const fmt = (v: unknown): string =>
  v === undefined || v === null ? "-" : typeof v === "object" ? JSON.stringify(v) : String(v)

export const renderStatusReport = (status: unknown): string => {
  const lines: Array<string> = []
  lines.push(`dd-agent — up ${fmt(get(status, "agent", "uptime_s"))} s (since ${fmt(get(status, "agent", "started_at"))})`)
  const logs = get(status, "logs")
  lines.push("", `Logs: ${fmt(get(logs, "state"))}`)
  if (get(logs, "endpoint") !== undefined) {
    lines.push(`  endpoint     ${fmt(get(logs, "endpoint"))}${get(logs, "embeddedIntake") ? ` (embedded intake → ${fmt(get(logs, "embeddedIntake", "output"))})` : ""}`)
    lines.push(`  lines read   ${fmt(get(logs, "linesRead"))}`)
    const inputs = (get(logs, "inputs") as Array<{ type: string; target: string }> | undefined) ?? []
    for (const i of inputs) lines.push(`  input        ${i.type} ${i.target}`)
    const workers = (get(logs, "workers") as Array<Record<string, unknown>> | undefined) ?? []
    for (const w of workers) {
      lines.push(
        `  worker ${fmt(w["worker"])}     ${fmt(w["phase"])}, stream ${fmt(w["streamId"])}: acked ${fmt(w["logsAcked"])}/${fmt(w["logsAccepted"])}, ` +
          `inflight ${fmt(w["inflightPayloads"])} batches (${fmt(w["inflightBytes"])} B), wire ${fmt(w["bytesOnWire"])} B, rotations ${fmt(w["rotations"])}` +
          (w["problem"]
            ? `, last error${typeof w["problemAt"] === "number" ? ` at ${new Date(w["problemAt"]).toISOString()}` : ""}: ${fmt(w["problem"])}`
            : "")
      )
    }
  }
  const proc = get(status, "process")
  lines.push("", `Process resolver: ${fmt(get(proc, "state"))}`)
  if (get(proc, "processes") !== undefined) lines.push(`  processes    ${fmt(get(proc, "processes"))}`, `  events       ${fmt(get(proc, "events"))}`)
  const di = get(status, "dynamic_instrumentation")
  lines.push("", `Dynamic Instrumentation: ${fmt(get(di, "state"))}`)
  if (get(di, "pipeline") !== undefined) lines.push(`  pipeline     ${fmt(get(di, "pipeline"))}`, `  upload       ${fmt(get(di, "upload"))}`)
  return lines.join("\n")
}
