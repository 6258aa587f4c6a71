import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Schema } from "effect"
import * as ProcFsMemory from "../../src/layers/process/ProcFsMemory.js"
import * as ResolverLayer from "../../src/layers/process/ProcessResolverLayer.js"
import { ProcessEventJson, ProcessReportJson, SecurityEventJson } from "../../src/services/process/EventSchemas.js"
import { jsonSchemas } from "../../src/services/process/JsonSchemas.js"
import type { ProcessEntry } from "../../src/services/process/ProcessEntry.js"
import { ProcessResolver } from "../../src/services/process/ProcessResolver.js"
import {
  networkTags,
  processEventToJson,
  processReport,
  securityEvent,
  serviceIdentity
} from "../../src/services/process/Serializers.js"
import { fds, memfd, meta, proc } from "./fakes.js"
import { check } from "./jsonSchemaCheck.js"

const schemas = jsonSchemas() as unknown as Record<string, Record<string, unknown>>
const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v))
const strict = { onExcessProperty: "error" } as const

const tree = [
  proc(1, 0, 1, "init"),
  proc(10, 1, 5, "gunicorn", { fds: fds([3, memfd("parent00", { ...meta("web"), process_tags: "entrypoint.name:gunicorn" }, 1n, 1)]) }),
  proc(11, 10, 6, "python3", {
    environ: { DD_SERVICE: "web", DD_ENV: "staging", DD_VERSION: "7" },
    cgroup: `0::/system.slice/docker-${"c".repeat(64)}.scope\n`,
    fds: fds([4, memfd("child000", { ...meta("web"), process_tags: "entrypoint.name:app, region:eu ,bad" }, 2n, 2)])
  })
]

const withEntries = <A, E>(f: (leaf: ProcessEntry, ancestors: ReadonlyArray<ProcessEntry>) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const resolver = yield* ProcessResolver
    const leaf = yield* resolver.resolve(11)
    return yield* f(leaf, yield* resolver.ancestors(leaf))
  }).pipe(Effect.provide(ResolverLayer.layer({ readEnviron: true }).pipe(Layer.provide(ProcFsMemory.layer(tree)))))

describe("security event serializer", () => {
  it.effect("gives process, process.parent and process.ancestors each their own tracer object", () =>
    withEntries((leaf, ancestors) =>
      Effect.sync(() => {
        const ev = securityEvent(
          { type: "exec", timestamp: Date.UTC(2026, 0, 2, 3, 4, 5), key: leaf.key, ppid: 10, comm: "python3", entry: Option.some(leaf) },
          ancestors
        )
        const json = roundTrip(Schema.encodeSync(SecurityEventJson)(ev))
        assert.deepStrictEqual(json.evt, { name: "exec", category: "process" })
        assert.strictEqual(json.date, "2026-01-02T03:04:05.000Z")
        assert.strictEqual(json.process.tracer.process_tags, "entrypoint.name:app, region:eu ,bad")
        assert.strictEqual(json.process.tracer.runtime_id, "web-rid")
        assert.strictEqual(json.process.parent.pid, 10)
        assert.strictEqual(json.process.parent.tracer.process_tags, "entrypoint.name:gunicorn")
        assert.deepStrictEqual(json.process.ancestors.map((a: { pid: number }) => a.pid), [10, 1])
        assert.isFalse("tracer" in json.process.ancestors[1], "no tracer object for a process that published none")
        assert.deepStrictEqual(json.process.container, { id: "c".repeat(64) })
        assert.deepStrictEqual(json.process.ust, { service: "web", env: "staging", version: "7" })
        assert.deepStrictEqual(check(schemas["security-event.schema.json"]!, json), [])
        assert.isTrue(Either.isRight(Schema.decodeUnknownEither(SecurityEventJson, strict)(json)))
      })
    ))

  it.effect("network tags: UST from the environment, then tracer tags, deduplicated", () =>
    withEntries((leaf) =>
      Effect.sync(() => {
        assert.deepStrictEqual(networkTags(leaf), [
          "service:web",
          "env:staging",
          "version:7",
          "tracer_service_name:web",
          "tracer_service_env:prod",
          "tracer_service_version:1.0",
          "entrypoint.name:app",
          "region:eu"
        ])
        const dup: ProcessEntry = {
          ...leaf,
          tracer: Option.some({ schema_version: 2, tracer_language: "go", tracer_version: "1", hostname: "", process_tags: "a:1,a:1,service:web" })
        }
        assert.deepStrictEqual(networkTags(dup), ["service:web", "env:staging", "version:7", "a:1"])
      })
    ))

  it.effect("service identity: tracer first, then environment, then executable name", () =>
    withEntries((leaf) =>
      Effect.sync(() => {
        const id = serviceIdentity(leaf)
        assert.strictEqual(id.service, "web")
        assert.strictEqual(id.serviceSource, "tracer")
        assert.deepStrictEqual(id.env, Option.some("prod"))
        assert.deepStrictEqual(id.hostname, Option.some("host-a"))
        const noTracer: ProcessEntry = { ...leaf, tracer: Option.none() }
        assert.strictEqual(serviceIdentity(noTracer).serviceSource, "environment")
        assert.deepStrictEqual(serviceIdentity(noTracer).env, Option.some("staging"))
        const bare: ProcessEntry = { ...noTracer, facts: { ...leaf.facts, env: Option.none() } }
        assert.deepStrictEqual([serviceIdentity(bare).service, serviceIdentity(bare).serviceSource], ["python3", "executable"])
        assert.deepStrictEqual(serviceIdentity(bare).env, Option.none())
      })
    ))

  it.effect("process events and reports encode to JSON that their generated schemas accept", () =>
    withEntries((leaf, ancestors) =>
      Effect.sync(() => {
        for (const type of ["exec", "fork", "exit", "tracer_metadata_found"] as const) {
          const ev = processEventToJson({ type, timestamp: 1, key: leaf.key, ppid: 10, comm: "python3", entry: Option.some(leaf) })
          const json = roundTrip(Schema.encodeSync(ProcessEventJson)(ev))
          assert.deepStrictEqual(check(schemas["process-event.schema.json"]!, json), [])
        }
        const unresolved = roundTrip(processEventToJson({ type: "exit", timestamp: 1, key: { pid: 5, startTime: 2 }, ppid: 1, comm: "x", entry: Option.none() }))
        assert.deepStrictEqual(unresolved.process, { pid: 5, ppid: 1, start_time: 2, comm: "x", args: [] })
        const report = roundTrip(Schema.encodeSync(ProcessReportJson)(processReport(leaf, ancestors)))
        assert.deepStrictEqual(check(schemas["process-report.schema.json"]!, report), [])
        assert.deepStrictEqual(report.tracer_tags.slice(0, 1), ["tracer_service_name:web"])
        // The schemas reject what the serializers never emit.
        assert.isNotEmpty(check(schemas["process-event.schema.json"]!, { ...roundTrip(processEventToJson({ type: "exec", timestamp: 1, key: leaf.key, ppid: 10, comm: "p", entry: Option.some(leaf) })), type: "spawn" }))
        assert.isNotEmpty(check(schemas["security-event.schema.json"]!, { evt: { name: "exec", category: "process" }, date: "x", process: { pid: 1, ppid: 0, start_time: 1, comm: "a", args: [], tracer: { schema_version: 1 } } }))
      })
    ))
})
