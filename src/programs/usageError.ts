/**
 * Turns @effect/cli's parse errors into one line naming the command and the option, with a suggestion when the
 * name given is close to a known one (edit distance). Pure: the caller gives argv and the names it knows.
 */

/** Removes ANSI colour sequences (help and errors are plain when not on a terminal, or with NO_COLOR). */
export const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, "")

/** Whether text written to `stream` goes without colours: it is not a terminal, or NO_COLOR is set. */
export const plainOn = (stream: { readonly isTTY?: boolean }): boolean =>
  process.env["NO_COLOR"] !== undefined || stream.isTTY !== true

/** @effect/cli's descriptions of an option's type, which say nothing the option's own description does not. */
const typeDescription = /^\s*(A true or false value\.|One of the following: .*|A date without a time-zone .*|A floating point number\.|An integer\.|An existing (file|directory|file or directory)\.|A file or directory( that must not exist)?\.|A file\.|A directory\.|A user-defined piece of text( that is confidential)?\.)$/

/** Help text without the type descriptions of its options. */
export const helpWithoutTypes = (text: string): string =>
  text.split("\n").filter((line) => !typeDescription.test(stripAnsi(line))).join("\n")

/** Levenshtein distance. */
export const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

/** The known name closest to `name`, when at most 2 edits (and less than half its length) away. */
export const closest = (name: string, known: Iterable<string>): string | undefined => {
  let best: { name: string; distance: number } | undefined
  for (const k of known) {
    const distance = editDistance(name, k)
    if (distance <= 2 && distance * 2 < k.length && (best === undefined || distance < best.distance)) best = { name: k, distance }
  }
  return best?.name
}

const suggest = (name: string, known: Iterable<string>) => {
  const match = closest(name, known)
  return match === undefined ? "" : ` (did you mean ${match}?)`
}

/**
 * One `dd-agent:` line for a parse error. `args` are the arguments after the program name, `message` is
 * @effect/cli's text, `commands` the command names and `options` the option names (`--x`) of the command run.
 */
export const usageErrorLine = (
  args: ReadonlyArray<string>,
  message: string,
  commands: ReadonlyArray<string>,
  options: ReadonlyArray<string>
): string => {
  const text = stripAnsi(message).replace(/\s+/g, " ").trim()
  const [first, second] = args
  const command = first !== undefined && commands.includes(first)
    ? (second !== undefined && /^[a-z][a-z-]*$/.test(second) && !second.includes(".") ? `${first} ${second}` : first)
    : undefined
  const where = command === undefined ? "" : `${command}: `
  const unknown = /^Received unknown argument: '(.*)'$/.exec(text)
  if (unknown) {
    const token = unknown[1]!
    const name = token.split("=")[0]!
    return name.startsWith("-")
      ? `dd-agent: ${where}unknown option ${name}${suggest(name, options)}`
      : `dd-agent: ${where}unexpected argument '${token}'`
  }
  if (/^Invalid subcommand for /.test(text)) {
    const given = args.find((a) => !a.startsWith("-")) ?? ""
    return `dd-agent: unknown command '${given}'${suggest(given, commands)}; commands: ${commands.join(", ")}`
  }
  const badValue = /^'(.*)' is not an? (.*)$/.exec(text)
  if (badValue) {
    const at = args.indexOf(badValue[1]!)
    const option = at > 0 && args[at - 1]!.startsWith("-") ? `${args[at - 1]} ` : ""
    return `dd-agent: ${where}${option}'${badValue[1]}' is not ${/^[aeiou]/.test(badValue[2]!) ? "an" : "a"} ${badValue[2]}`
  }
  return `dd-agent: ${where}${text}`
}
