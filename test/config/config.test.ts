import { describe, expect, it } from "vitest"
import { Either, Redacted } from "effect"
import { decodeAgentConfig, knownEnvVariables } from "../../src/services/config/decodeConfig.js"

const decode = (text: string, env: Record<string, string> = {}) => decodeAgentConfig(text, "agent.yaml", env)

describe("agent configuration", () => {
  it("decodes a valid file; the API key is redacted", () => {
    const r = decode(`
api_key: abc123
hostname: host-1
logs_enabled: true
logs_config:
  stream_endpoint: 127.0.0.1:9000
  insecure: true
  compression: zstd
  batch_max_entries: 500
logs:
  - type: file
    path: /var/log/app/*.log
    service: web
    tags: [env:prod, team:a]
  - type: tcp
    port: 10514
process_config:
  enabled: false
`)
    if (Either.isLeft(r)) throw new Error(r.left.message)
    expect(Redacted.value(r.right.api_key!)).toBe("abc123")
    expect(String(r.right.api_key)).not.toContain("abc123")
    expect(r.right.logs_config?.batch_max_entries).toBe(500)
    expect(r.right.logs?.[0]).toEqual({ type: "file", path: "/var/log/app/*.log", service: "web", tags: ["env:prod", "team:a"] })
  })

  it("DD_* variables override file values, typed by the schema", () => {
    const r = decode("logs_config:\n  workers: 1\n", { DD_LOGS_CONFIG_WORKERS: "3", DD_LOGS_ENABLED: "true", DD_TAGS: "a:b c:d", DD_API_KEY: "k" })
    if (Either.isLeft(r)) throw new Error(r.left.message)
    expect(r.right.logs_config?.workers).toBe(3)
    expect(r.right.logs_enabled).toBe(true)
    expect(r.right.tags).toEqual(["a:b", "c:d"])
    expect(knownEnvVariables).toContain("DD_LOGS_CONFIG_STREAM_ENDPOINT")
  })

  const errorOf = (text: string, env: Record<string, string> = {}) => {
    const r = decode(text, env)
    if (Either.isRight(r)) throw new Error("expected a ConfigError")
    return r.left
  }

  it("an unknown key is reported with its path and line", () => {
    const e = errorOf("logs_enabled: true\nlogs_config:\n  compresion: zstd\n")
    expect(e.issues).toEqual([{ path: "logs_config.compresion", where: "agent.yaml:3", message: "unknown key" }])
  })

  it("a wrong type is reported with its path and line", () => {
    const e = errorOf("logs_enabled: maybe\n")
    expect(e.issues).toEqual([{ path: "logs_enabled", where: "agent.yaml:1", message: "Expected boolean, actual \"maybe\"" }])
  })

  it("an out-of-range value is reported with its path and line, inside lists too", () => {
    const e = errorOf("logs:\n  - type: stdin\n  - type: tcp\n    port: 70000\n")
    expect(e.issues).toEqual([{ path: "logs[1].port", where: "agent.yaml:4", message: "Expected a number between 0 and 65535, actual 70000" }])
  })

  it("a bad override names the variable", () => {
    const e = errorOf("", { DD_LOGS_CONFIG_BATCH_MAX_ENTRIES: "lots" })
    expect(e.issues).toEqual([{ path: "logs_config.batch_max_entries", where: "env DD_LOGS_CONFIG_BATCH_MAX_ENTRIES", message: "Expected number, actual \"lots\"" }])
  })

  it("YAML syntax errors and non-mapping documents are reported with a line", () => {
    expect(errorOf("a: [1, 2\n").issues[0]!.where).toMatch(/^agent\.yaml:\d+$/)
    expect(errorOf("- 1\n- 2\n").issues[0]!.message).toBe("the configuration must be a mapping of keys")
  })

  it("custom sensitive words are checked as scrubbing patterns, reported with path and line", () => {
    const r = decode("process_config:\n  custom_sensitive_words: [consul_token, '*pass*d*']\n")
    if (Either.isLeft(r)) throw new Error(r.left.message)
    expect(r.right.process_config?.custom_sensitive_words).toEqual(["consul_token", "*pass*d*"])
    const e = errorOf("process_config:\n  custom_sensitive_words:\n    - ok\n    - bad-word\n")
    expect(e.issues).toEqual([{
      path: "process_config.custom_sensitive_words[1]",
      where: "agent.yaml:4",
      message: "\"bad-word\": only letters, digits, underscores and * wildcards are allowed"
    }])
  })

  it("a tag with a comma is refused (the wire joins tags with ',')", () => {
    const e = errorOf("tags: ['a:b,c']\n")
    expect(e.issues[0]).toMatchObject({ path: "tags[0]", message: "a tag may not contain ','" })
  })

  it("a malformed API key is reported without echoing the secret", () => {
    const e = errorOf("api_key: 123456789012345678\n")
    expect(e.issues).toEqual([{ path: "api_key", where: "agent.yaml:1", message: "expected a string (the value is a secret and is not shown)" }])
    expect(e.message).not.toContain("12345678901234")
    expect(errorOf("api_key: [part-one-of-key, part-two]\n").message).not.toContain("part-one-of-key")
  })

  it("an endpoint port above 65535 is reported with its path and line", () => {
    const e = errorOf("logs_config:\n  stream_endpoint: intake.example:99999\nstatus:\n  listen: 127.0.0.1:70000\n")
    expect(e.issues).toEqual([
      { path: "logs_config.stream_endpoint", where: "agent.yaml:2", message: "expected HOST:PORT with a port from 0 to 65535" },
      { path: "status.listen", where: "agent.yaml:4", message: "expected HOST:PORT with a port from 0 to 65535" }
    ])
  })

  it("a status endpoint off loopback needs allow_non_loopback and an auth token, reported with path and line", () => {
    expect(errorOf("status:\n  listen: 0.0.0.0:5012\n").issues).toEqual([{
      path: "status.listen",
      where: "agent.yaml:2",
      message: "0.0.0.0 is not a loopback address: serving status there needs status.allow_non_loopback: true and status.auth_token"
    }])
    expect(errorOf("status:\n  listen: 10.1.2.3:5012\n  allow_non_loopback: true\n").issues).toEqual([{
      path: "status.allow_non_loopback",
      where: "agent.yaml:3",
      message: "status.auth_token is required with status.allow_non_loopback"
    }])
    const short = errorOf("status:\n  auth_token: hunter2\n")
    expect(short.issues).toEqual([{ path: "status.auth_token", where: "agent.yaml:2", message: "expected a string (the value is a secret and is not shown)" }])
    expect(short.message).not.toContain("hunter2")
    const ok = decode("status:\n  listen: 0.0.0.0:5012\n  allow_non_loopback: true\n", { DD_STATUS_AUTH_TOKEN: "a-long-enough-status-token" })
    if (Either.isLeft(ok)) throw new Error(ok.left.message)
    expect(ok.right.status?.listen).toEqual({ host: "0.0.0.0", port: 5012 })
    expect(decode("status:\n  listen: '[::1]:5012'\n")._tag).toBe("Right")
    expect(decode("status:\n  listen: localhost:5012\n")._tag).toBe("Right")
  })

  it("site is refused as unsupported, with its line, rather than accepted and ignored", () => {
    expect(errorOf("hostname: h\nsite: datadoghq.eu\n").issues).toEqual([{
      path: "site",
      where: "agent.yaml:2",
      message: "not supported: this agent does not ship to Datadog sites; set logs_config.stream_endpoint and dynamic_instrumentation.endpoint"
    }])
  })

  it("rules run would refuse are refused by the decoder: an endpoint without a key, a zero duration", () => {
    expect(errorOf("logs_config:\n  stream_endpoint: intake.example:443\n").issues).toEqual([
      { path: "logs_config.stream_endpoint", where: "agent.yaml:2", message: "needs api_key (or DD_API_KEY)" }
    ])
    expect(decode("logs_config:\n  stream_endpoint: intake.example:443\n", { DD_API_KEY: "k" })._tag).toBe("Right")
    expect(errorOf("logs_config:\n  batch_wait: 0\n").issues).toEqual([
      { path: "logs_config.batch_wait", where: "agent.yaml:2", message: "expected a duration in seconds, at least 0.001" }
    ])
  })

  it("TLS settings: a client certificate needs its key, and none of them go with insecure", () => {
    expect(errorOf("api_key: k\nlogs_config:\n  stream_endpoint: i.example:443\n  tls_cert_file: c.pem\n").issues).toEqual([
      { path: "logs_config.tls_cert_file", where: "agent.yaml:4", message: "a client certificate needs both tls_cert_file and tls_key_file" }
    ])
    expect(errorOf("logs_config:\n  insecure: true\n  tls_ca_file: ca.pem\n").issues).toEqual([
      { path: "logs_config.insecure", where: "agent.yaml:2", message: "the tls_* settings need TLS: remove insecure" }
    ])
  })
})

