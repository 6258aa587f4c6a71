import { assert, describe, it } from "@effect/vitest"
import { parseContainerId, parseStat, parseStatus, parseUstEnviron, splitNul } from "../../src/services/process/procParsers.js"

describe("procfs parsers", () => {
  it("parseStat takes ppid and start time, with a comm holding spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3))
    fields[0] = "S"
    fields[1] = "77" // ppid (field 4)
    fields[19] = "123456" // starttime (field 22)
    fields[6] = "4194560" // flags (field 9): PF_FORKNOEXEC | PF_RANDOMIZE style bits, no PF_KTHREAD
    const s = parseStat(`4242 (my (weird) cmd) ${fields.join(" ")}\n`)
    assert.deepStrictEqual(s, { pid: 4242, comm: "my (weird) cmd", state: "S", ppid: 77, startTime: 123456, kernelThread: false })
    fields[6] = String(0x00208040 + 0x80000000) // PF_KTHREAD plus a bit above 2^31
    assert.strictEqual(parseStat(`2 (kthreadd) ${fields.join(" ")}`)?.kernelThread, true)
    assert.isUndefined(parseStat("garbage"))
    assert.isUndefined(parseStat("1 (x) S"))
  })

  it("parseStatus reads real/effective/saved/fs uid and gid", () => {
    const s = parseStatus("Name:\tx\nUid:\t1000\t1001\t1002\t1003\nGid:\t20\t21\t22\t23\nGroups:\t\n")
    assert.deepStrictEqual(s, {
      uid: { real: 1000, effective: 1001, saved: 1002, fs: 1003 },
      gid: { real: 20, effective: 21, saved: 22, fs: 23 }
    })
    assert.isUndefined(parseStatus("Name:\tx\n"))
  })

  it("splitNul drops the trailing terminator", () => {
    assert.deepStrictEqual(splitNul("a\0b c\0"), ["a", "b c"])
    assert.deepStrictEqual(splitNul(""), [])
  })

  it("parseUstEnviron keeps only non-empty DD_SERVICE/DD_ENV/DD_VERSION", () => {
    const env = "PATH=/bin\0DD_SERVICE=web\0DD_API_KEY=secret\0DD_ENV=\0DD_VERSION=1.2\0DD_SERVICE_MAPPING=x\0"
    assert.deepStrictEqual(parseUstEnviron(env), { DD_SERVICE: "web", DD_VERSION: "1.2" })
  })

  it("parseContainerId finds docker, containerd and ECS ids in cgroup v1 and v2 paths", () => {
    const id = "a".repeat(32) + "0123456789abcdef".repeat(2)
    assert.strictEqual(parseContainerId(`12:memory:/docker/${id}\n`), id)
    assert.strictEqual(parseContainerId(`0::/system.slice/docker-${id}.scope\n`), id)
    assert.strictEqual(parseContainerId(`0::/kubepods/burstable/pod1/cri-containerd-${id}.scope\n`), id)
    assert.strictEqual(parseContainerId(`0::/ecs/task/${"b".repeat(32)}-1234567890\n`), `${"b".repeat(32)}-1234567890`)
    assert.isUndefined(parseContainerId("0::/user.slice/user-0.slice/session-1.scope\n"))
    assert.isUndefined(parseContainerId("0::/\n"))
  })
})
