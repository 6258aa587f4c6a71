/**
 * Command-line scrubbing, with the rules of Datadog's process agent: an argument whose key matches a
 * sensitive word (case-insensitive; `*` matches any run of characters other than separators) has its value
 * replaced by `********`, in the forms `--key=value`, `-key=value`, `key:value`, `--key value`, `-key value`
 * and `key value`. A quoted value (`--password="a b"`) is replaced whole. One addition to those rules: an
 * underscore in a word also matches a dash, so `*api_key*` covers `--api-key` as well as `--api_key`. Arguments are also split on
 * whitespace, so a command line rewritten into one string (`postgres: … password=x`) or a shell command
 * passed as one argument (`sh -c "mysql --password x"`) is scrubbed too. The program name (the first word)
 * is never taken for a key. Pure: the resolver applies it before a command line enters its cache.
 */
import { Data, Either } from "effect"

/** The process agent's default sensitive words. */
export const defaultSensitiveWords: ReadonlyArray<string> = [
  "*password*", "*passwd*", "*mysql_pwd*", "*access_token*", "*auth_token*", "*api_key*", "*apikey*",
  "*secret*", "*credentials*", "stripetoken"
]

export const scrubbedValue = "********"

/** A configured sensitive word that cannot be used, with the rule it broke. */
export class InvalidSensitiveWord extends Data.TaggedError("InvalidSensitiveWord")<{ readonly word: string; readonly rule: string }> {
  override get message(): string {
    return `sensitive word ${JSON.stringify(this.word)}: ${this.rule}`
  }
}

/** Why `word` cannot be a sensitive word, or undefined when it can. */
export const sensitiveWordProblem = (word: string): string | undefined => {
  if (!/^[A-Za-z0-9_*]+$/.test(word)) return "only letters, digits, underscores and * wildcards are allowed"
  if (!/[A-Za-z0-9_]/.test(word)) return "a word needs at least one letter, digit or underscore"
  if (word.includes("**")) return "two consecutive * are not allowed"
  return undefined
}

interface Pattern {
  /** The longest literal part, lower case: a command line without it cannot match. */
  readonly fast: string
  /** Matches a key at the start of a word, ending at `=`, `:` or the end of the word. */
  readonly key: RegExp
}

export interface ArgsScrubber {
  readonly words: ReadonlyArray<string>
  readonly patterns: ReadonlyArray<Pattern>
}

const patternOf = (word: string): Pattern => {
  let body = ""
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!
    // A trailing * stops at the delimiters; an inner or leading one also at `$` and `/` (paths).
    body += c === "_" ? "[_-]" : c !== "*" ? c : i === word.length - 1 ? "[^\\s=:]*" : "[^\\s=:$/]*"
  }
  const fast = word.split("*").reduce((a, b) => (b.length > a.length ? b : a), "").toLowerCase()
  return { fast, key: new RegExp(`^-{0,2}${body}(?=[=:]|$)`, "i") }
}

/** The default words plus `extraWords`; fails on the first word that cannot be used. */
export const makeArgsScrubber = (extraWords: ReadonlyArray<string> = []): Either.Either<ArgsScrubber, InvalidSensitiveWord> => {
  for (const word of extraWords) {
    const rule = sensitiveWordProblem(word)
    if (rule !== undefined) return Either.left(new InvalidSensitiveWord({ word, rule }))
  }
  const words = [...defaultSensitiveWords, ...extraWords]
  return Either.right({ words, patterns: words.map(patternOf) })
}

export const defaultArgsScrubber: ArgsScrubber = Either.getOrThrow(makeArgsScrubber())

interface Word {
  readonly arg: number
  readonly start: number
  readonly end: number
}

/** Where a value starting at `start` in `text` ends: a closing quote for a quoted value, else `wordEnd`. */
const valueEnd = (text: string, start: number, wordEnd: number): number => {
  const q = text[start]
  if (q !== "\"" && q !== "'") return wordEnd
  const close = text.indexOf(q, start + 1)
  return close < 0 ? wordEnd : close + 1
}

/** `argv` with the values of sensitive keys replaced by `********` (the same array when nothing matched). */
export const scrubArgs = (scrubber: ArgsScrubber, argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const lower = argv.join(" ").toLowerCase().replaceAll("-", "_") // `_` in a word also matches `-`
  const active = scrubber.patterns.filter((p) => lower.includes(p.fast))
  if (active.length === 0) return argv
  const words: Array<Word> = []
  argv.forEach((text, arg) => {
    for (const m of text.matchAll(/\S+/g)) words.push({ arg, start: m.index, end: m.index + m[0].length })
  })
  const cuts: Array<Word> = [] // value ranges to replace, in order
  let consumedUpTo: Word | undefined
  const consumed = (w: Word) =>
    consumedUpTo !== undefined && (w.arg < consumedUpTo.arg || (w.arg === consumedUpTo.arg && w.start < consumedUpTo.end))
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!
    if (consumed(w)) continue
    const text = argv[w.arg]!.slice(w.start, w.end)
    let keyLength = -1
    for (const p of active) {
      const m = p.key.exec(text)
      if (m !== null) {
        keyLength = m[0].length
        break
      }
    }
    if (keyLength < 0) continue
    // `key=value` / `key:value` in the same word, else the next word is the value.
    const v = keyLength < text.length ? { arg: w.arg, start: w.start + keyLength + 1, wordEnd: w.end } : words[i + 1]
    if (v === undefined) continue
    const wordEnd = "wordEnd" in v ? v.wordEnd : v.end
    const cut = { arg: v.arg, start: v.start, end: valueEnd(argv[v.arg]!, v.start, wordEnd) }
    cuts.push(cut)
    consumedUpTo = cut
  }
  if (cuts.length === 0) return argv
  const out = [...argv]
  for (let c = cuts.length - 1; c >= 0; c--) {
    const { arg, end, start } = cuts[c]!
    out[arg] = out[arg]!.slice(0, start) + scrubbedValue + out[arg]!.slice(end)
  }
  return out
}
