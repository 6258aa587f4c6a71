/**
 * TLS to a real endpoint: a grpc-js server with a certificate for `intake.test` from a private CA, requiring
 * a client certificate. The transport reaches it only with the CA, the server-name override and the client
 * certificate; without any one of them the connection fails with a typed StreamFailure.
 */
import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect, Redacted } from "effect"
import { makeGrpcStreamTransport } from "../../src/layers/logs/GrpcStreamTransport.js"
import { statefulLogsServiceDefinition } from "../../src/layers/logs/grpcDefinition.js"
import { readTlsFiles } from "../../src/layers/logs/TlsFiles.js"

const fixture = (name: string) => Path.resolve("test/logs/fixtures/tls", name)

const tlsServer = Effect.acquireRelease(
  Effect.async<{ server: grpc.Server; port: number }, Error>((resume) => {
    const server = new grpc.Server()
    server.addService(statefulLogsServiceDefinition, {
      LogsStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.on("error", () => {})
        call.on("data", () => {})
        call.on("end", () => call.end()) // half-close → status OK
      }
    })
    const credentials = grpc.ServerCredentials.createSsl(
      Fs.readFileSync(fixture("ca.pem")),
      [{ cert_chain: Fs.readFileSync(fixture("server.pem")), private_key: Fs.readFileSync(fixture("server.key")) }],
      true
    )
    server.bindAsync("127.0.0.1:0", credentials, (error, port) => resume(error ? Effect.fail(error) : Effect.succeed({ server, port })))
  }),
  ({ server }) => Effect.sync(() => server.forceShutdown())
)

const streamOnce = (port: number, files: Parameters<typeof readTlsFiles>[0], connectTimeoutMs = 10_000) =>
  Effect.gen(function*() {
    const tls = yield* readTlsFiles(files)
    const transport = yield* makeGrpcStreamTransport({
      host: "127.0.0.1", port, apiKey: Redacted.make("k"), insecure: false, encoding: "identity", connectTimeoutMs, tls
    })
    const session = yield* transport.open({ onAck: () => {} })
    session.halfClose()
    return yield* session.ended
  }).pipe(Effect.scoped)

describe("stream transport over TLS", () => {
  it.scopedLive("connects with the CA file, the server-name override and a client certificate; fails without each", () =>
    Effect.gen(function*() {
      const { port } = yield* tlsServer
      const full = { caFile: fixture("ca.pem"), certFile: fixture("client.pem"), keyFile: fixture("client.key"), serverName: "intake.test" }
      const ended = yield* streamOnce(port, full)
      assert.strictEqual(ended.code, grpc.status.OK)
      for (const missing of ["caFile", "serverName", "certFile"] as const) {
        const files = { ...full, [missing]: undefined, ...(missing === "certFile" ? { keyFile: undefined } : {}) }
        const failed = yield* Effect.flip(streamOnce(port, files, 2_000))
        assert.strictEqual(failed._tag, "StreamFailure", `without ${missing}`)
      }
      const half = yield* Effect.flip(readTlsFiles({ certFile: fixture("client.pem") }))
      assert.strictEqual(half._tag, "TlsFileError")
    }), { timeout: 60_000 })
})
