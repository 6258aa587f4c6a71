import { describe, expect, it } from "vitest"
import * as Api from "../../src/index.js"

/** Every exported value, as `Namespace.name` (or `name` at the top level). */
const exported = (): Array<string> =>
  Object.entries(Api).flatMap(([ns, v]) =>
    typeof v === "object" && v !== null ? Object.keys(v).map((k) => `${ns}.${k}`) : [ns])

describe("public API (src/index.ts)", () => {
  it("exports what an embedding user needs and none of the internals behind it", () => {
    const names = new Set(exported())
    for (const needed of [
      "Logs.LogsSender", "Logs.defaultSenderConfig", "Logs.IntakeOutput", "Logs.intakeDefaults", "Logs.StreamDecoder",
      "LogsLayers.layerSenderGrpc", "LogsLayers.layerIntakeServer", "LogsLayers.MemoryIntakeOutput",
      "Agent.layer", "Agent.AgentComponents", "Config.decodeAgentConfig", "Config.resolveSettings",
      "Process.ProcessResolver", "Debugger.SnapshotEncoder", "LiveCaptureLayers.attach", "LoaderLayers.runLoader"
    ]) expect(names, needed).toContain(needed)
    for (const internal of [
      "Logs.StreamWorkerMachine", "Logs.Translator", "Logs.InflightTracker", "Logs.Batcher", "Process.BoundedLru",
      "Process.parseStat", "Process.procReadError", "Debugger.takeToken", "Debugger.addItem", "LiveCapture.helperSource",
      "LiveCaptureLayers.connect", "InputsLayers.writeAtomically", "Inputs.AckRanges", "Loader.parseTcpTable",
      "LoaderLayers.handleFd"
    ]) expect(names, internal).not.toContain(internal)
    expect(names.size).toBeLessThan(250)
  })
})
