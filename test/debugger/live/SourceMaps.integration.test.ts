import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Option } from "effect"
import { loadSourceMap } from "../../../src/layers/debugger/live/SourceMaps.js"

const validMap = JSON.stringify({ version: 3, sources: ["app.ts"], names: [], mappings: "AAAA" })

/** Runs `loadSourceMap` for a map file next to a script, returning its result and the warnings logged. */
const load = (dir: string, mapName: string) =>
  Effect.gen(function*() {
    const logged: Array<string> = []
    const result = yield* loadSourceMap(pathToFileURL(path.join(dir, "app.js")).href, mapName).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => { logged.push(String(message)) })))
    )
    return { result, logged }
  })

describe("source maps named by a script", () => {
  it.scoped("a missing map is silently absent; an unreadable or malformed one is reported with its path", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "dd-maps-"))),
        (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
      )
      fs.writeFileSync(path.join(dir, "good.js.map"), validMap)
      fs.writeFileSync(path.join(dir, "bad.js.map"), "{not json")
      fs.mkdirSync(path.join(dir, "dir.js.map"))

      const good = yield* load(dir, "good.js.map")
      assert.isTrue(Option.isSome(good.result))
      assert.deepStrictEqual(good.logged, [])

      const missing = yield* load(dir, "missing.js.map")
      assert.isTrue(Option.isNone(missing.result))
      assert.deepStrictEqual(missing.logged, [])

      const bad = yield* load(dir, "bad.js.map")
      assert.isTrue(Option.isNone(bad.result))
      assert.strictEqual(bad.logged.length, 1)
      assert.include(bad.logged[0], `source map ${path.join(dir, "bad.js.map")}: not a source map`)

      const unreadable = yield* load(dir, "dir.js.map")
      assert.isTrue(Option.isNone(unreadable.result))
      assert.strictEqual(unreadable.logged.length, 1)
      assert.include(unreadable.logged[0], `source map ${path.join(dir, "dir.js.map")}: EISDIR`)
    }))
})
