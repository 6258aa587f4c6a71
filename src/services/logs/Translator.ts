/**
 * Turns a `LogMessage` into a log record plus the dictionary definitions it needs. Tags (joined with ",")
 * and statuses are dictionary references. Content translation is a separate step (`ContentTranslator`):
 * raw text, or pattern extraction (`patterns/PatternContent.ts`).
 */
import type { Datum, LogContent } from "./Datum.js"
import type { LogRecord } from "./DeltaEncoder.js"
import { type DictEntry, Dictionary } from "./Dictionary.js"
import type { LogMessage } from "./LogMessage.js"
import { LogRejected } from "./errors.js"
import type { StateRef } from "./StateRef.js"

/** Content of one log plus the definitions (e.g. PatternDefine) that must precede it. */
export interface ContentTranslator {
  readonly translate: (content: string, defines: Array<Datum>) => LogContent
  /** Closes the open batch: the state entries (patterns) it references, released on acknowledgement. */
  readonly sealBatch: () => ReadonlyArray<StateRef>
  /** Appends the deletes that may now go on the wire. */
  readonly takeDeletes: (out: Array<Datum>) => void
  readonly hasDeletes: boolean
}

export const rawContent: ContentTranslator = {
  translate: (content) => ({ _tag: "Raw", raw: content }),
  sealBatch: () => [],
  takeDeletes: () => {},
  hasDeletes: false
}

export class Translator {
  private lastTags: ReadonlyArray<string> | undefined = undefined
  private lastJoined: string | LogRejected = ""
  private out: Array<Datum> = []
  // Created once: translating a log allocates no closure.
  private readonly define = (e: DictEntry): void => {
    this.out.push({ _tag: "DictEntryDefine", id: e.id, value: e.value })
  }

  constructor(
    readonly dictionary: Dictionary,
    private readonly content: ContentTranslator = rawContent
  ) {}

  /**
   * Appends to `defines` the definitions the log needs and returns its record, or a rejection. On rejection
   * nothing is appended and the dictionary is untouched.
   */
  translate(msg: LogMessage, defines: Array<Datum>): LogRecord | LogRejected {
    if (!Number.isSafeInteger(msg.timestamp)) {
      return new LogRejected({
        reason: "InvalidTimestamp",
        message: `timestamp ${msg.timestamp} is not an integer number of unix milliseconds`
      })
    }
    const joined = this.joinTags(msg.tags)
    if (typeof joined !== "string") return joined
    this.out = defines
    const define = this.define
    const tags = joined === "" ? null : { _tag: "DictIndex" as const, id: this.dictionary.intern(joined, define).id }
    const status = msg.status === undefined || msg.status === ""
      ? undefined
      : { _tag: "DictIndex" as const, id: this.dictionary.intern(msg.status, define).id }
    return {
      timestamp: msg.timestamp,
      content: this.content.translate(msg.content, defines),
      tags,
      uuid: msg.uuid,
      status
    }
  }

  /** Closes the open batch: every state entry it references (dictionary, patterns), to release on ack. */
  sealBatch(): ReadonlyArray<StateRef> {
    const dict: Array<StateRef> = this.dictionary.sealBatch()
    const content = this.content.sealBatch()
    if (content.length === 0) return dict
    for (let i = 0; i < content.length; i++) dict.push(content[i]!)
    return dict
  }

  get hasDeletes(): boolean {
    return this.dictionary.hasDeletes || this.content.hasDeletes
  }

  /** Appends the deletes (dictionary entries, patterns) that may now go on the wire. */
  takeDeletes(out: Array<Datum>): void {
    if (this.dictionary.hasDeletes) for (const d of this.dictionary.takeDeletes()) out.push(d)
    this.content.takeDeletes(out)
  }

  private joinTags(tags: ReadonlyArray<string>): string | LogRejected {
    // Producers usually reuse one tag array for many logs: join and validate it once.
    if (tags === this.lastTags) return this.lastJoined
    let result: string | LogRejected = tags.join(",")
    for (const t of tags) {
      if (t.includes(",")) {
        result = new LogRejected({
          reason: "TagContainsComma",
          message: `tag '${t}' contains ',', which the wire contract uses to join tags`
        })
        break
      }
    }
    this.lastTags = tags
    this.lastJoined = result
    return result
  }
}
