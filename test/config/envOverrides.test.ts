import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeAgentConfig } from "../../src/services/config/decodeConfig.js"
import { decodeLoaderConfig } from "../../src/services/loader/Config.js"

const agentLogsEnabled = (file: string, value: string) => {
  const r = decodeAgentConfig(file, "agent.yaml", { DD_LOGS_ENABLED: value })
  return Either.isRight(r) ? r.right.logs_enabled : `error: ${r.left.message}`
}
const loaderApmEnabled = (file: unknown, value: string) => {
  const r = decodeLoaderConfig({ file, env: { DD_APM_ENABLED: value }, platform: "linux" })
  return Either.isRight(r) ? r.right.apmEnabled : `error: ${r.left.message}`
}

describe("DD_* overrides: one rule for the agent's and the loader's configuration", () => {
  it("reads a boolean the same way in both", () => {
    for (const [text, value] of [["true", true], ["T", true], ["1", true], ["yes", true], ["On", true], ["false", false], ["f", false], ["0", false], ["no", false], ["OFF", false]] as const) {
      expect(agentLogsEnabled("logs_enabled: " + String(!value), text), text).toBe(value)
      expect(loaderApmEnabled({ apm_config: { enabled: !value } }, text), text).toBe(value)
    }
  })

  it("an empty variable is unset in both: the file's value stands", () => {
    expect(agentLogsEnabled("logs_enabled: true", "")).toBe(true)
    expect(loaderApmEnabled({ apm_config: { enabled: false } }, "")).toBe(false)
  })

  it("text that is not a boolean is an error naming the variable in both", () => {
    expect(agentLogsEnabled("", "maybe")).toContain("env DD_LOGS_ENABLED")
    expect(loaderApmEnabled({}, "maybe")).toContain("env DD_APM_ENABLED")
  })
})
