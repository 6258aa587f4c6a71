/**
 * The configuration file as YAML, parsed once for every decoder (agent and loader): its value, and the line
 * of any key path in it, so each problem can name `FILE:LINE`. Pure.
 */
import { Either } from "effect"
import * as Yaml from "yaml"
import type { ConfigIssue } from "./ConfigIssue.js"

export interface YamlDocument {
  /** The document as plain values; `{}` for an empty file. */
  readonly value: unknown
  /** `FILE:LINE` of the deepest node of `path` present in the document. */
  readonly where: (path: ReadonlyArray<PropertyKey>) => string
}

/** Parses `text`; syntax errors are issues with their line. `source` names the file in `where`. */
export const parseYamlDocument = (text: string, source: string): Either.Either<YamlDocument, ReadonlyArray<ConfigIssue>> => {
  const lines = new Yaml.LineCounter()
  const doc = Yaml.parseDocument(text, { lineCounter: lines, prettyErrors: false })
  if (doc.errors.length > 0) {
    return Either.left(doc.errors.map((e) => ({
      path: "(document)",
      where: `${source}:${lines.linePos(e.pos[0]).line}`,
      message: e.message.split("\n")[0]!
    })))
  }
  return Either.right({ value: doc.toJS() ?? {}, where: (path) => `${source}:${lineOf(doc, lines, path)}` })
}

const lineOf = (doc: Yaml.Document, lines: Yaml.LineCounter, path: ReadonlyArray<PropertyKey>): number => {
  for (let n = path.length; n > 0; n--) {
    const keys = path.slice(0, n)
    const parent = n > 1 ? doc.getIn(keys.slice(0, -1), true) : doc.contents
    const last = keys[n - 1]
    // Prefer the key's own position (an unknown key has no value worth pointing at).
    if (Yaml.isMap(parent)) {
      const pair = parent.items.find((p) => Yaml.isScalar(p.key) && p.key.value === last)
      const range = (pair?.key as Yaml.Scalar | undefined)?.range
      if (range) return lines.linePos(range[0]).line
    }
    const node = doc.getIn(keys, true) as Yaml.Node | undefined
    if (node && Yaml.isNode(node) && node.range) return lines.linePos(node.range[0]).line
  }
  return 1
}
