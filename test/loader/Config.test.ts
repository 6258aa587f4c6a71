import { describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Either, Option } from "effect"
import { assert } from "vitest"
import { loadLoaderConfig } from "../../src/layers/loader/ConfigFile.js"
import { decodeLoaderConfig } from "../../src/services/loader/Config.js"

const decode = (file: unknown, env: Record<string, string> = {}, platform = "linux") =>
  decodeLoaderConfig({ file, env, platform })
const ok = (file: unknown, env: Record<string, string> = {}, platform = "linux") => {
  const r = decode(file, env, platform)
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

describe("loader configuration", () => {
  it("has Datadog's defaults", () => {
    const c = ok({})
    assert.strictEqual(c.apmEnabled, true)
    assert.strictEqual(c.socketActivation, true)
    assert.strictEqual(c.handleTcpProbe, false)
    assert.strictEqual(c.receiverPort, 8126)
    assert.strictEqual(c.receiverSocket, "/var/run/datadog/apm.socket")
    assert.strictEqual(c.receiverHost, "localhost")
    assert.isTrue(Option.isNone(c.otlpPort))
    assert.strictEqual(c.maxHeld, 16)
    assert.strictEqual(c.holdTimeoutMs, 30_000)
    assert.strictEqual(c.logLevel, "info")
    assert.strictEqual(ok({}, {}, "darwin").receiverSocket, "")
    assert.strictEqual(c.classifier, "proc")
    assert.strictEqual(ok({}, {}, "darwin").classifier, "read")
    assert.strictEqual(ok({}, { DD_APM_SOCKET_ACTIVATION_CLASSIFIER: "read" }).classifier, "read")
  })

  it("reads nested datadog.yaml keys", () => {
    const c = ok({
      apm_config: {
        enabled: true,
        receiver_port: 9126,
        receiver_socket: "/tmp/x.sock",
        socket_activation: { enabled: true, handle_tcp_probe: true, max_held_connections: 4, hold_timeout: 2.5 }
      },
      log_level: "WARNING"
    })
    assert.strictEqual(c.receiverPort, 9126)
    assert.strictEqual(c.receiverSocket, "/tmp/x.sock")
    assert.strictEqual(c.handleTcpProbe, true)
    assert.strictEqual(c.maxHeld, 4)
    assert.strictEqual(c.holdTimeoutMs, 2500)
    assert.strictEqual(c.logLevel, "warn")
  })

  it("DD_* variables win over the file; empty variables count as unset", () => {
    const c = ok(
      { apm_config: { receiver_port: 9126, socket_activation: { handle_tcp_probe: false } } },
      { DD_APM_RECEIVER_PORT: "7777", DD_APM_SOCKET_ACTIVATION_HANDLE_TCP_PROBE: "1", DD_APM_RECEIVER_SOCKET: "" }
    )
    assert.strictEqual(c.receiverPort, 7777)
    assert.strictEqual(c.handleTcpProbe, true)
    assert.strictEqual(c.receiverSocket, "/var/run/datadog/apm.socket")
  })

  it("host: bind_host, then apm_non_local_traffic (wins), then the containerized default", () => {
    assert.strictEqual(ok({ bind_host: "10.0.0.1" }).receiverHost, "10.0.0.1")
    assert.strictEqual(ok({ bind_host: "10.0.0.1", apm_config: { apm_non_local_traffic: true } }).receiverHost, "0.0.0.0")
    assert.strictEqual(ok({ apm_config: { apm_non_local_traffic: false } }, { DOCKER_DD_AGENT: "yes" }).receiverHost, "localhost")
    const c = ok({}, { DOCKER_DD_AGENT: "yes" })
    assert.strictEqual(c.receiverHost, "0.0.0.0")
    assert.isTrue(c.nonLocalBecauseContainerized)
  })

  it("the OTLP listener exists only when otlp_config.receiver is configured", () => {
    assert.deepStrictEqual(ok({ otlp_config: { receiver: null } }).otlpPort, Option.some(5003))
    assert.deepStrictEqual(
      ok({ otlp_config: { receiver: {}, traces: { internal_port: 5999 } } }).otlpPort,
      Option.some(5999)
    )
    assert.deepStrictEqual(
      ok({}, { DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_GRPC_ENDPOINT: "0.0.0.0:4317" }).otlpPort,
      Option.some(5003)
    )
  })

  it("a port <= 0 is valid (it disables the TCP receiver)", () => {
    assert.strictEqual(ok({ apm_config: { receiver_port: 0 } }).receiverPort, 0)
    assert.strictEqual(ok({}, { DD_APM_RECEIVER_PORT: "-1" }).receiverPort, -1)
  })

  it("reports every invalid key with its path, source and rule", () => {
    const r = decode(
      { apm_config: { receiver_port: "http", socket_activation: { enabled: "maybe" } } },
      { DD_APM_ENABLED: "yes please", DD_LOG_LEVEL: "loud" }
    )
    assert.isTrue(Either.isLeft(r))
    if (Either.isLeft(r)) {
      const keys = r.left.issues.map((i) => `${i.path}@${i.where}`).sort()
      assert.deepStrictEqual(keys, [
        "apm_config.enabled@env DD_APM_ENABLED",
        "apm_config.receiver_port@config file",
        "apm_config.socket_activation.enabled@config file",
        "log_level@env DD_LOG_LEVEL"
      ])
      assert.include(r.left.message, "config file: apm_config.receiver_port: expected an integer port")
      assert.include(r.left.message, "\"http\"")
    }
  })

  it("reports unknown keys in the loader's own section", () => {
    const r = decode({ apm_config: { socket_activation: { enabled: true, handle_tcp_probes: true } } })
    assert.isTrue(Either.isLeft(r))
    if (Either.isLeft(r)) {
      assert.strictEqual(r.left.issues[0].path, "apm_config.socket_activation.handle_tcp_probes")
      assert.include(r.left.issues[0].message, "unknown key")
    }
  })

  it("rejects out-of-range values and non-mapping sections", () => {
    const r = decode({ apm_config: 5, otlp_config: { traces: { internal_port: 70000 } } })
    assert.isTrue(Either.isLeft(r))
    if (Either.isLeft(r)) {
      assert.deepStrictEqual(r.left.issues.map((i) => i.path).sort(), ["apm_config", "otlp_config.traces.internal_port"])
    }
    assert.isTrue(Either.isLeft(decode({ apm_config: { socket_activation: { max_held_connections: 0 } } })))
    assert.isTrue(Either.isLeft(decode("just a string")))
  })

  it.effect("a file is read by the agent's YAML reader: each problem names FILE:LINE, like the agent's configuration", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "loader-config-"))
      const file = Path.join(dir, "datadog.yaml")
      Fs.writeFileSync(file, "apm_config:\n  receiver_port: http\n  socket_activation:\n    handle_tcp_probes: true\n")
      const e = yield* Effect.flip(loadLoaderConfig(file, {}))
      assert.strictEqual(e._tag, "LoaderConfigError")
      if (e._tag === "LoaderConfigError") {
        assert.deepStrictEqual(e.issues.map((i) => `${i.path}@${i.where}`).sort(), [
          `apm_config.receiver_port@${file}:2`,
          `apm_config.socket_activation.handle_tcp_probes@${file}:4`
        ])
      }
      Fs.writeFileSync(file, "apm_config: [1, 2\n")
      const syntax = yield* Effect.flip(loadLoaderConfig(file, {}))
      assert.strictEqual(syntax._tag === "LoaderConfigError" && syntax.issues[0]!.where.startsWith(`${file}:`), true)
      Fs.rmSync(dir, { recursive: true, force: true })
    }))
})

