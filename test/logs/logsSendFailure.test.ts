/** `logs send` stops its sender as soon as a worker gives up: it waits on the sender's changes, it does not poll. */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Queue, SubscriptionRef, TestServices } from "effect"
import { shutdownOnFailure } from "../../src/programs/logsSend.js"
import type { SourcePosition } from "../../src/services/logs/LogMessage.js"
import { LogsSender, type SenderStatus, summarize } from "../../src/services/logs/Sender.js"
import { workerStatus } from "./helpers.js"

/** A sender whose status the test sets; its shutdown completes `shutdownCalled`. */
const fakeSender = Effect.gen(function*() {
  const status = yield* SubscriptionRef.make<SenderStatus>([workerStatus({ phase: "active" }), workerStatus({ worker: 1 })])
  const shutdownCalled = yield* Deferred.make<void>()
  const sender = LogsSender.of({
    send: () => Effect.void,
    acknowledged: yield* Queue.bounded<SourcePosition>(1),
    shutdown: Effect.as(Deferred.succeed(shutdownCalled, undefined), summarize([])),
    abort: Effect.succeed(summarize([])),
    status: SubscriptionRef.get(status),
    changes: status.changes
  })
  return { sender, status, shutdownCalled }
})

/** Fails the test after 5 s of real time instead of hanging it (the test clock never moves). */
const within5s = <A>(self: Effect.Effect<A>) =>
  Effect.raceFirst(self, TestServices.provideLive(Effect.sleep("5 seconds")).pipe(Effect.zipRight(Effect.dieMessage("no shutdown within 5 s"))))

describe("logs send: a worker that gives up", () => {
  it.scoped("a failed worker shuts the sender down on that status change, with no clock advance", () =>
    Effect.gen(function*() {
      const t = yield* fakeSender
      const watcher = yield* Effect.fork(shutdownOnFailure(t.sender))
      yield* SubscriptionRef.update(t.status, (st) => [st[0]!, { ...st[1]!, logsAcked: 10 }])
      yield* Effect.yieldNow()
      assert.isFalse(yield* Deferred.isDone(t.shutdownCalled), "progress alone does not stop the sender")
      yield* SubscriptionRef.update(t.status, (st) => [st[0]!, workerStatus({ worker: 1, phase: "failed" })])
      yield* within5s(Deferred.await(t.shutdownCalled))
      yield* Fiber.join(watcher)
    }))
})
