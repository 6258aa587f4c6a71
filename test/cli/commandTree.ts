/**
 * Every command of the CLI with its options descriptor, found by walking @effect/cli's command descriptors
 * (their `_tag`ged internal shapes: a command is Standard, Map, Subcommands or GetUserInput), so that a test
 * reaches every command and subcommand at any depth.
 */
import { commands } from "../../src/programs/cli.js"

export type Node = { readonly _tag: string; readonly [k: string]: any }

/** A command: its path from the root (["logs", "send"]) and its options descriptor. */
export interface CommandInfo {
  readonly path: ReadonlyArray<string>
  readonly options: Node
}

const nameOf = (node: Node): string =>
  node._tag === "Standard" || node._tag === "GetUserInput" ? node["name"] : nameOf(node["command"] ?? node["parent"])

const walk = (parent: ReadonlyArray<string>, node: Node, out: Array<CommandInfo>): void => {
  switch (node._tag) {
    case "Standard":
      out.push({ path: [...parent, node["name"]], options: node["options"] })
      return
    case "GetUserInput":
      out.push({ path: [...parent, node["name"]], options: { _tag: "Empty" } })
      return
    case "Map":
      return walk(parent, node["command"], out)
    case "Subcommands": {
      walk(parent, node["parent"], out)
      const path = [...parent, nameOf(node["parent"])]
      for (const child of node["children"] as ReadonlyArray<Node>) walk(path, child, out)
      return
    }
  }
}

/** Every command and subcommand under the root, in the order the help lists them. */
export const commandTree = async (): Promise<ReadonlyArray<CommandInfo>> => {
  const out: Array<CommandInfo> = []
  for (const [, load] of commands) walk([], ((await load()) as unknown as { descriptor: Node }).descriptor, out)
  return out
}
