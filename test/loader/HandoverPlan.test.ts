import { describe, it } from "@effect/vitest"
import { Either } from "effect"
import { assert } from "vitest"
import { LISTEN_PID_TRAMPOLINE, makePlan, managedEnvNames } from "../../src/services/loader/HandoverPlan.js"
import { parseInheritedFds } from "../../src/services/loader/InheritedFds.js"

const activation = { reason: "data" as const, absorbed: 3, waitedMs: 1234.4 }

describe("handover plan", () => {
  it("puts listeners at 3, 4, 5 in fixed order (tcp, unix, otlp), then clients, trigger first", () => {
    const plan = makePlan({
      listeners: [{ kind: "otlp", fd: 30 }, { kind: "tcp", fd: 10 }, { kind: "unix", fd: 20 }],
      clients: [{ listener: "tcp", fd: 41 }, { listener: "unix", fd: 42 }, { listener: "tcp", fd: 43 }],
      baseEnv: { PATH: "/bin" },
      command: ["/usr/bin/agent", "--config", "x"],
      listenFds: false,
      activation
    })
    assert.deepStrictEqual(plan.slots.map((s) => [s.fd, s.item.fd]), [[3, 10], [4, 20], [5, 30], [6, 41], [7, 42], [8, 43]])
    assert.strictEqual(plan.env["DD_APM_NET_RECEIVER_FD"], "3")
    assert.strictEqual(plan.env["DD_APM_UNIX_RECEIVER_FD"], "4")
    assert.strictEqual(plan.env["DD_OTLP_CONFIG_GRPC_FD"], "5")
    assert.strictEqual(plan.env["DD_APM_NET_RECEIVER_CLIENT_FD"], "6")
    assert.strictEqual(plan.env["DD_APM_NET_RECEIVER_CLIENT_FDS"], "6,8")
    assert.strictEqual(plan.env["DD_APM_UNIX_RECEIVER_CLIENT_FDS"], "7")
    assert.strictEqual(plan.env["DD_LOADER_ACTIVATION_REASON"], "data")
    assert.strictEqual(plan.env["DD_LOADER_ABSORBED_PROBES"], "3")
    assert.strictEqual(plan.env["DD_LOADER_WAITED_MS"], "1234")
    assert.strictEqual(plan.env["PATH"], "/bin")
    assert.strictEqual(plan.file, "/usr/bin/agent")
    assert.deepStrictEqual(plan.args, ["--config", "x"])
    assert.isUndefined(plan.env["LISTEN_FDS"])
  })

  it("removes stale inherited loader variables, even the ones it does not set this time", () => {
    const stale = Object.fromEntries(managedEnvNames.map((n) => [n, "99"]))
    const plan = makePlan({
      listeners: [{ kind: "unix", fd: 20 }],
      clients: [],
      baseEnv: { ...stale, HOME: "/root", UNSET: undefined },
      command: ["agent"],
      listenFds: false,
      activation
    })
    assert.strictEqual(plan.env["DD_APM_UNIX_RECEIVER_FD"], "3")
    for (const n of ["DD_APM_NET_RECEIVER_FD", "DD_APM_NET_RECEIVER_CLIENT_FD", "DD_OTLP_CONFIG_GRPC_FD", "LISTEN_PID"]) {
      assert.isUndefined(plan.env[n], n)
    }
    assert.strictEqual(plan.env["HOME"], "/root")
    assert.isFalse("UNSET" in plan.env)
  })

  it("systemd mode sets LISTEN_FDS/LISTEN_FDNAMES and a trampoline that sets LISTEN_PID", () => {
    const plan = makePlan({
      listeners: [{ kind: "tcp", fd: 10 }],
      clients: [{ listener: "tcp", fd: 11 }],
      baseEnv: {},
      command: ["agent", "-v"],
      listenFds: true,
      activation
    })
    assert.strictEqual(plan.env["LISTEN_FDS"], "2")
    assert.strictEqual(plan.env["LISTEN_FDNAMES"], "apm-tcp:apm-tcp-client")
    assert.strictEqual(plan.file, "/bin/sh")
    assert.deepStrictEqual(plan.args, ["-c", LISTEN_PID_TRAMPOLINE, "agent", "-v"])
  })
})

describe("inherited descriptors (agent side)", () => {
  it("reads listeners and clients, including Datadog's single client variable", () => {
    const r = parseInheritedFds({
      DD_APM_NET_RECEIVER_FD: "3",
      DD_APM_UNIX_RECEIVER_FD: "4",
      DD_APM_NET_RECEIVER_CLIENT_FDS: "5,7",
      DD_APM_UNIX_RECEIVER_CLIENT_FDS: "6",
      DD_APM_NET_RECEIVER_CLIENT_FD: "5",
      DD_LOADER_ACTIVATION_REASON: "data"
    })
    assert.isTrue(Either.isRight(r))
    if (Either.isRight(r)) {
      assert.deepStrictEqual(r.right.listeners.map((l) => [l.kind, l.fd]), [["tcp", 3], ["unix", 4]])
      assert.deepStrictEqual(r.right.clients.map((c) => [c.listener, c.fd]), [["tcp", 5], ["tcp", 7], ["unix", 6]])
      assert.strictEqual(r.right.reason, "data")
    }
    const single = parseInheritedFds({ DD_APM_NET_RECEIVER_FD: "3", DD_APM_NET_RECEIVER_CLIENT_FD: "4" })
    assert.deepStrictEqual(Either.map(single, (x) => x.clients.map((c) => c.fd)), Either.right([4]))
  })

  it("rejects malformed, stdio and duplicated descriptors, naming the variable", () => {
    const bad = (env: Record<string, string>, variable: string, rule: string) => {
      const r = parseInheritedFds(env)
      assert.isTrue(Either.isLeft(r))
      if (Either.isLeft(r)) {
        assert.strictEqual(r.left.variable, variable)
        assert.include(r.left.message, rule)
      }
    }
    bad({ DD_APM_NET_RECEIVER_FD: "three" }, "DD_APM_NET_RECEIVER_FD", "decimal")
    bad({ DD_APM_UNIX_RECEIVER_FD: "1" }, "DD_APM_UNIX_RECEIVER_FD", "not stdio")
    bad({ DD_APM_NET_RECEIVER_FD: "3", DD_APM_UNIX_RECEIVER_FD: "3" }, "DD_APM_UNIX_RECEIVER_FD", "also named")
  })
})

describe("prefix stream", () => {
  it("round-trips prefixes, binary bytes included", async () => {
    const { decodePrefixes, encodePrefixes } = await import("../../src/services/loader/PrefixStream.js")
    const a = Buffer.from("POST /v0.4/traces HTTP/1.1\r\n\n12 34\n")
    const b = Buffer.from([0, 10, 255, 10])
    const r = decodePrefixes("X", encodePrefixes([{ fd: 5, bytes: a }, { fd: 7, bytes: b }]))
    assert.isTrue(Either.isRight(r))
    if (Either.isRight(r)) {
      assert.deepStrictEqual([...r.right.keys()], [5, 7])
      assert.isTrue(r.right.get(5)!.equals(a))
      assert.isTrue(r.right.get(7)!.equals(b))
    }
    assert.deepStrictEqual(Either.map(decodePrefixes("X", new Uint8Array()), (m) => m.size), Either.right(0))
  })

  it("rejects malformed and truncated streams", async () => {
    const { decodePrefixes } = await import("../../src/services/loader/PrefixStream.js")
    const bad = decodePrefixes("DD_LOADER_CLIENT_PREFIXES_FD", Buffer.from("five 3\nabc"))
    assert.isTrue(Either.isLeft(bad) && bad.left.message.includes("malformed"))
    const cut = decodePrefixes("DD_LOADER_CLIENT_PREFIXES_FD", Buffer.from("5 10\nabc"))
    assert.isTrue(Either.isLeft(cut) && cut.left.message.includes("truncated"))
  })

  it("the plan reserves the prefix pipe after the clients", () => {
    const plan = makePlan({
      listeners: [{ kind: "tcp", fd: 10 }],
      clients: [{ listener: "tcp", fd: 11 }],
      baseEnv: { DD_LOADER_CLIENT_PREFIXES_FD: "77" },
      command: ["agent"],
      listenFds: false,
      prefixPipe: true,
      activation
    })
    assert.strictEqual(plan.prefixFd, 5)
    assert.strictEqual(plan.env["DD_LOADER_CLIENT_PREFIXES_FD"], "5")
    const none = makePlan({ listeners: [], clients: [], baseEnv: { DD_LOADER_CLIENT_PREFIXES_FD: "77" }, command: ["a"], listenFds: false, activation })
    assert.isUndefined(none.env["DD_LOADER_CLIENT_PREFIXES_FD"])
  })
})
