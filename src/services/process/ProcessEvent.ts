/**
 * Events the watcher publishes. They carry the whole cache entry (when one could be resolved) so a
 * consumer needs no second lookup; `processEventToJson` gives the JSON line.
 */
import type { Option } from "effect"
import type { ProcessEventType } from "./EventSchemas.js"
import type { ProcessEntry, ProcessKey } from "./ProcessEntry.js"

export interface ProcessEvent {
  readonly type: ProcessEventType
  /** Epoch milliseconds when the change was observed. */
  readonly timestamp: number
  readonly key: ProcessKey
  readonly ppid: number
  readonly comm: string
  /** The entry after the change (for exit: the last one known); none when the process could not be resolved. */
  readonly entry: Option.Option<ProcessEntry>
}
