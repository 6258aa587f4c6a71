/**
 * Command lines of real processes are scrubbed before they enter the resolver's cache, so no output
 * (process events, security events, `dd-agent processes`) carries another user's secrets.
 */
import * as path from "node:path"
import { Command } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Stream } from "effect"
import * as ResolverLayer from "../../src/layers/process/ProcessResolverLayer.js"
import { type ArgsScrubber, makeArgsScrubber } from "../../src/services/process/ArgsScrubber.js"
import { ProcessResolver } from "../../src/services/process/ProcessResolver.js"

const SECRETS = ["SECRET-api-key", "hunter2", "TOKEN-consul"]

/** A python child whose argv holds secrets; it stays alive until its scope closes. */
const startSecretHolder = Effect.gen(function*() {
  const child = yield* Command.start(Command.make(
    "python3", "-c", "import os, sys, time; print(os.getpid(), flush=True); time.sleep(60)",
    "--api-key", SECRETS[0]!, "--password=hunter2", "--consul-token", SECRETS[2]!, "--verbose"
  ))
  const line = yield* child.stdout.pipe(Stream.decodeText(), Stream.splitLines, Stream.runHead, Effect.timeout("20 seconds"))
  return Number(line._tag === "Some" ? line.value.trim() : NaN)
})

const cmdlineOf = (pid: number, argsScrubber: ArgsScrubber | undefined | "default") =>
  Effect.flatMap(ProcessResolver, (r) => r.resolve(pid)).pipe(
    Effect.map((e) => e.facts.cmdline),
    Effect.provide(ResolverLayer.layerLive({ watch: false, ...(argsScrubber === "default" ? {} : { argsScrubber }) }))
  )

describe("command-line scrubbing against real processes", () => {
  it.scopedLive("the resolver scrubs by default, adds custom words, and keeps argv verbatim only when scrubbing is off", () =>
    Effect.gen(function*() {
      const pid = yield* startSecretHolder
      const byDefault = yield* cmdlineOf(pid, "default")
      assert.deepStrictEqual(byDefault.slice(3), ["--api-key", "********", "--password=********", "--consul-token", "TOKEN-consul", "--verbose"])
      const custom = yield* cmdlineOf(pid, Either.getOrThrow(makeArgsScrubber(["consul_token"])))
      assert.deepStrictEqual(custom.slice(3), ["--api-key", "********", "--password=********", "--consul-token", "********", "--verbose"])
      const off = yield* cmdlineOf(pid, undefined)
      assert.deepStrictEqual(off.slice(3), ["--api-key", SECRETS[0], "--password=hunter2", "--consul-token", SECRETS[2], "--verbose"])
    }).pipe(Effect.provide(NodeContext.layer)), 60_000)

  it.scopedLive("`dd-agent processes --pid PID --json --sensitive-word consul_token` prints no secret", () =>
    Effect.gen(function*() {
      const pid = yield* startSecretHolder
      const out = yield* Command.string(Command.make(
        process.execPath, path.resolve("bin/dd-agent.js"), "processes", "--pid", String(pid), "--json", "--sensitive-word", "consul_token"
      )).pipe(Effect.timeout("45 seconds"))
      const report = JSON.parse(out.trim())
      assert.strictEqual(report.process.pid, pid)
      assert.include(report.process.args, "--password=********")
      for (const secret of SECRETS) assert.notInclude(out, secret)
    }).pipe(Effect.provide(NodeContext.layer)), 60_000)
})
