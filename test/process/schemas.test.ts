import { readFileSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { jsonSchemas, renderJsonSchema } from "../../src/services/process/JsonSchemas.js"

describe("committed JSON Schemas", () => {
  for (const [name, doc] of Object.entries(jsonSchemas())) {
    it(`schemas/${name} matches the Effect Schema (regenerate: npx dd-agent processes schemas --out schemas)`, () => {
      const committed = readFileSync(path.resolve("schemas", name), "utf8")
      assert.strictEqual(committed, renderJsonSchema(doc))
    })
  }
})
