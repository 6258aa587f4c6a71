import { describe, it } from "@effect/vitest"
import { Either } from "effect"
import { assert } from "vitest"
import { decodeLoaderConfig } from "../../src/services/loader/Config.js"
import { decodeIdlePlan, encodeIdlePlan, IDLE_PLAN_VARIABLE, idleConfigOf, type IdlePlan } from "../../src/services/loader/IdlePlan.js"

const configOf = (env: Record<string, string>) => {
  const r = decodeLoaderConfig({ file: {}, env, platform: "linux" })
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return idleConfigOf(r.right)
}
const plan = (env: Record<string, string> = {}): IdlePlan => ({
  command: ["/usr/bin/trace-agent", "--config", "/etc/datadog/datadog.yaml"],
  argv0: "trace-agent",
  config: configOf(env)
})

describe("idle plan", () => {
  it("carries the decoded configuration and the resolved command across the re-execution unchanged", () => {
    for (const p of [plan(), plan({ DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT: "x", DD_APM_SOCKET_ACTIVATION_CLASSIFIER: "read" })]) {
      assert.deepStrictEqual(decodeIdlePlan(encodeIdlePlan(p)), { plan: p })
    }
  })

  it("keeps the OTLP port only when the OTLP receiver is configured", () => {
    assert.isUndefined(plan().config.otlpPort)
    assert.strictEqual(plan({ DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT: "x" }).config.otlpPort, 5003)
  })

  it("a malformed value names the variable, the field and the rule", () => {
    const good = JSON.parse(encodeIdlePlan(plan())) as Record<string, any>
    const bad = (f: (o: Record<string, any>) => void) => {
      const o = structuredClone(good)
      f(o)
      const r = decodeIdlePlan(JSON.stringify(o))
      return "error" in r ? r.error : "decoded"
    }
    assert.match((decodeIdlePlan("{") as { error: string }).error, new RegExp(`^${IDLE_PLAN_VARIABLE}: not JSON`))
    assert.strictEqual(bad((o) => (o.command = [])), `${IDLE_PLAN_VARIABLE}: command: expected a non-empty array of strings`)
    assert.strictEqual(bad((o) => delete o.argv0), `${IDLE_PLAN_VARIABLE}: argv0: expected a string`)
    assert.strictEqual(bad((o) => (o.config.receiverPort = "8126")), `${IDLE_PLAN_VARIABLE}: config.receiverPort: expected an integer, got "8126"`)
    assert.strictEqual(bad((o) => (o.config.classifier = "peek")), `${IDLE_PLAN_VARIABLE}: config.classifier: expected proc or read, got "peek"`)
    assert.strictEqual(bad((o) => (o.config.maxHeld = 0)), `${IDLE_PLAN_VARIABLE}: config.maxHeld: expected a positive integer, got 0`)
  })
})
