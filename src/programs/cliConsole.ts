/**
 * The Console the CLI prints through. Until the command's handler starts, what @effect/cli logs is its help
 * (printed without the type descriptions of its options) and what it writes to stderr are its own parse
 * diagnostics (dropped: cli.ts reports one CommandLineError line instead). Text is plain, without ANSI colours,
 * on a stream that is not a terminal or when NO_COLOR is set.
 */
import { type Console, Effect } from "effect"
import { helpWithoutTypes, stripAnsi } from "./usageError.js"

const plainText = (args: ReadonlyArray<unknown>) => args.map((a) => (typeof a === "string" ? stripAnsi(a) : a))

/**
 * `base` as the CLI prints: `handlerStarted` says whether the command's own handler runs yet; `plain` whether
 * stdout and stderr take plain text.
 */
export const cliConsole = (
  base: Console.Console,
  handlerStarted: () => boolean,
  plain: { readonly stdout: boolean; readonly stderr: boolean }
): Console.Console => ({
  ...base,
  log: (...args) => {
    const text = handlerStarted() ? args : args.map((a) => (typeof a === "string" ? helpWithoutTypes(a) : a))
    return base.log(...(plain.stdout ? plainText(text) : text))
  },
  error: (...args) => (handlerStarted() ? base.error(...(plain.stderr ? plainText(args) : args)) : Effect.void)
})
