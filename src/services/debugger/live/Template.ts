/**
 * Log-probe templates in Datadog's syntax (`total={cart.total}`, `{{` and `}}` for literal braces): the
 * segments are parsed by the snapshot encoder's own parser, and each `{…}` must be a variable path so
 * the target can evaluate it and the encoder can render it from the captured value. Pure.
 */
import { Either } from "effect"
import { parseTemplate } from "../Message.js"
import { InvalidTemplate } from "./errors.js"

export interface LogTemplate {
  /** The template as written (the encoder renders the message from it). */
  readonly text: string
  /** Distinct variable paths the template uses, in first-use order (`cart.total`). */
  readonly paths: ReadonlyArray<string>
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** `name(.field)*` with JavaScript identifiers; `this` may start a path. */
export const isVariablePath = (expr: string): boolean => {
  const parts = expr.split(".")
  return parts.length > 0 && parts.length <= 16 && parts.every((p) => identifier.test(p))
}

export const parseLogTemplate = (text: string): Either.Either<LogTemplate, InvalidTemplate> => {
  if (text.length > 8192) return Either.left(new InvalidTemplate({ template: text.slice(0, 64), rule: "longer than 8192 characters" }))
  const paths: Array<string> = []
  for (const seg of parseTemplate(text)) {
    if (seg._tag !== "Expr") continue
    if (!isVariablePath(seg.expr)) {
      return Either.left(
        new InvalidTemplate({ template: text, rule: `{${seg.expr}} is not a variable path such as {name} or {name.field}` })
      )
    }
    if (!paths.includes(seg.expr)) paths.push(seg.expr)
  }
  return Either.right({ text, paths })
}
