/**
 * Embedding dd-agent-effect in a host Effect program (the README's "Embedding" section). Two parts:
 * 1. the reference intake and the logs sender as layers, on loopback: the intake keeps what it reconstructs in
 *    memory, the sender ships three lines and reports them acknowledged;
 * 2. the composed agent as one layer of the host (status endpoint only here), started and then stopped by
 *    interrupting it, which runs every component's orderly stop.
 * The test suite compiles and runs this file against the packed package (test/package/embed.integration.test.ts).
 */
import { Agent, Config, Logs, LogsLayers } from "dd-agent-effect"
import { Console, Deferred, Effect, Either, Fiber, Layer, Redacted } from "effect"

const apiKey = Redacted.make("example-key")

const shipThroughIntake = Effect.gen(function*() {
  const output = yield* LogsLayers.MemoryIntakeOutput.make
  const intakeLayer = LogsLayers.layerIntakeServer({ host: "127.0.0.1", port: 0, apiKey }).pipe(Layer.provide(output.layer))
  yield* Effect.gen(function*() {
    const intake = yield* LogsLayers.IntakeServer
    const report = yield* Effect.gen(function*() {
      const sender = yield* Logs.LogsSender
      const now = Date.now()
      yield* sender.send(["first", "second", "third"].map((content) => ({ content, timestamp: now, tags: ["service:host-app"] })))
      return yield* sender.shutdown
    }).pipe(
      Effect.provide(LogsLayers.layerSenderGrpc(Logs.defaultSenderConfig, { host: "127.0.0.1", port: intake.port, apiKey, insecure: true })),
      Effect.scoped
    )
    yield* output.awaitCount(3)
    for (const record of yield* output.all) yield* Console.log(`delivered: ${record.message}`)
    yield* Console.log(`acked: ${report.acked}`)
  }).pipe(Effect.provide(intakeLayer))
})

const runAgentLayer = Effect.gen(function*() {
  const config = Config.decodeAgentConfig(
    "logs_enabled: false\nprocess_config:\n  enabled: false\nstatus:\n  listen: 127.0.0.1:0\n",
    "(embedded)",
    {}
  )
  if (Either.isLeft(config)) return yield* Effect.fail(config.left)
  const ready = yield* Deferred.make<string>()
  const components = yield* Agent.AgentComponents.make
  const agent = Agent.layer(Config.resolveSettings(config.right), {
    liveSummary: false,
    onReady: (info) => Deferred.succeed(ready, info.status ?? "no status endpoint")
  }).pipe(Layer.provide(Layer.succeed(Agent.AgentComponents, components)))
  const running = yield* Effect.fork(Layer.launch(agent))
  yield* Console.log(`agent ready: status on ${yield* Deferred.await(ready)}`)
  yield* Fiber.interrupt(running)
  yield* Console.log("agent stopped")
})

Effect.runPromise(Effect.zipRight(shipThroughIntake, runAgentLayer)).catch((error) => {
  console.error(error)
  process.exit(1)
})
