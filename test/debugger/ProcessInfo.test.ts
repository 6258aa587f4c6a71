import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import { ddtagsOf, resolveProcessIdentity } from "../../src/services/debugger/ProcessInfo.js"
import { parseEnviron } from "../../src/layers/debugger/ProcessInfoLayers.js"

describe("process identity precedence", () => {
  it("prefers tracer metadata, field by field, over the environment", () => {
    const id = Option.getOrThrow(resolveProcessIdentity({
      tracer: { service_name: "t-svc", service_env: "", hostname: "t-host", process_tags: "a:1, b:2,," },
      env: { DD_SERVICE: "e-svc", DD_ENV: "e-env", DD_VERSION: "e-ver" },
      exe: "/bin/x",
      host: "machine"
    }))
    assert.deepStrictEqual(id, {
      service: "t-svc", serviceSource: "tracer", env: "e-env", version: "e-ver", hostname: "t-host", processTags: ["a:1", "b:2"]
    })
    assert.strictEqual(ddtagsOf(id), "env:e-env,version:e-ver")
  })

  it("falls back to DD_SERVICE, then to the executable name, else to nothing", () => {
    assert.strictEqual(Option.getOrThrow(resolveProcessIdentity({ env: { DD_SERVICE: " web " }, exe: "/bin/x" })).service, "web")
    const byExe = Option.getOrThrow(resolveProcessIdentity({ exe: "/opt/app/bin/server (deleted)", host: "h" }))
    assert.deepStrictEqual([byExe.service, byExe.serviceSource, byExe.hostname], ["server", "executable", "h"])
    assert.isTrue(Option.isNone(resolveProcessIdentity({ env: { DD_ENV: "prod" } })))
  })

  it("reads only the DD_* keys it needs from an environ block", () => {
    assert.deepStrictEqual(parseEnviron("PATH=/bin\0DD_SERVICE=a=b\0DD_ENV=prod\0junk\0"), { DD_SERVICE: "a=b", DD_ENV: "prod" })
  })
})
