import { HelpDoc } from "@effect/cli"
import { Option } from "effect"
import { describe, expect, it } from "vitest"
import { commands } from "../../src/programs/cli.js"
import { commandTree, type Node } from "./commandTree.js"

interface OptionInfo {
  readonly command: string
  readonly name: string
  readonly numeric: boolean
  readonly description: string
  readonly fallback: Option.Option<unknown>
}

/** Walks an options descriptor (Single, WithDefault, Map, Both, OrElse, Variadic, KeyValueMap, WithFallback). */
const optionsOf = (command: string, node: Node, fallback: Option.Option<unknown>, out: Array<OptionInfo>): void => {
  switch (node._tag) {
    case "Single":
      out.push({
        command,
        name: `--${node["name"]}`,
        numeric: ["Integer", "Float"].includes(node["primitiveType"]._tag),
        description: HelpDoc.toAnsiText(node["description"]).trim(),
        fallback
      })
      return
    case "WithDefault": {
      const value = node["fallback"]
      return optionsOf(command, node["options"], Option.isOption(value) ? value : Option.some(value), out)
    }
    case "Both":
    case "OrElse":
      optionsOf(command, node["left"], fallback, out)
      return optionsOf(command, node["right"], fallback, out)
    case "Map":
    case "WithFallback":
      return optionsOf(command, node["options"], fallback, out)
    case "Variadic":
    case "KeyValueMap":
      return optionsOf(command, node["argumentOption"], fallback, out)
    default:
      return
  }
}

const allOptions = async () => {
  const out: Array<OptionInfo> = []
  for (const { path, options } of await commandTree()) optionsOf(path.join(" "), options, Option.none(), out)
  return out
}

/** Words that say what a number counts or measures. */
const unit = /\b(milliseconds?|seconds?|minutes?|bytes?|KiB|MiB|characters|lines?|logs?|datums?|batches|streams?|acks?|acknowledgements|entries|pids?|processes|hits|snapshots|messages|workers?|attempts|retries|values|levels?|depth|items|elements|properties|per second|count|number of)\b/

describe("command-line help", () => {
  it("every command has options to check (the walk reaches them)", async () => {
    const all = await allOptions()
    expect(new Set(all.map((o) => o.command.split(" ")[0]))).toEqual(new Set(commands.map(([name]) => name)))
    expect(all.length).toBeGreaterThan(40)
  })

  it("every option is described; numbers say their unit; an option with a default shows it", async () => {
    const problems: Array<string> = []
    for (const o of await allOptions()) {
      const where = `${o.command} ${o.name}`
      if (o.description === "") {
        problems.push(`${where}: no description`)
        continue
      }
      if (o.numeric && !unit.test(o.description)) problems.push(`${where}: no unit in "${o.description}"`)
      const value = Option.getOrUndefined(o.fallback)
      // A flag's default (off) goes without saying.
      if (Option.isSome(o.fallback) && value !== false && !/\(default [^)]+\)/.test(o.description)) {
        problems.push(`${where}: default ${JSON.stringify(value)} not shown in "${o.description}"`)
      }
    }
    expect(problems).toEqual([])
  })
})
