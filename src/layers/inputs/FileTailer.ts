/**
 * Tails the files matching a glob: new files are picked up on each scan, appends are read as they come,
 * rotation by rename (the path now names another file) and truncation are followed. Each chunk of lines goes
 * to the sink with its position (the file's source id and the byte range it covers); whoever consumes the
 * chunks reports settled positions to the registry (`RegistryStore.acknowledge`), which advances the file's
 * offset. One fiber per file, in a FiberMap owned by the tailer's scope; each file handle is closed by the
 * scope that opened it.
 */
import type * as Fs from "node:fs"
import * as FsP from "node:fs/promises"
import { Clock, Duration, Effect, FiberMap, Metric, Option, Schedule } from "effect"
import { type InputLine, inputTags, type LineSink } from "../../services/inputs/InputLine.js"
import { LineSplitter } from "../../services/inputs/LineSplitter.js"
import { fingerprintBytes, fingerprintOf, resumeOffset } from "../../services/inputs/Registry.js"
import { inputError, type InputReadError } from "./LineReader.js"
import { type FileSource, RegistryStore } from "./RegistryStore.js"

export interface FileInputOptions {
  readonly path: string
  readonly service?: string | undefined
  readonly source?: string | undefined
  readonly tags?: ReadonlyArray<string> | undefined
  /** Where to start a file the registry does not know (default "end"). */
  readonly startPosition?: "end" | "beginning" | undefined
}

/** What a tailer reports as it follows files (for logs, status and tests). */
export type TailEvent =
  | { readonly _tag: "Opened"; readonly path: string; readonly offset: number }
  | { readonly _tag: "Truncated"; readonly path: string }
  | { readonly _tag: "Rotated"; readonly path: string }
  /** A file-system call failed (also logged and counted): a file's tailer stops until the next scan retries it. */
  | { readonly _tag: "Failed"; readonly error: InputReadError }

export interface TailerSettings {
  readonly onEvent?: ((event: TailEvent) => void) | undefined
  readonly pollInterval: Duration.DurationInput
  readonly scanInterval: Duration.DurationInput
  readonly maxLineBytes: number
  readonly readChunkBytes: number
  /**
   * After a rename rotation, how long the old file is still read (its writer may append until it reopens
   * the path) before the tailer switches to the new file.
   */
  readonly rotationGrace?: Duration.DurationInput | undefined
}

export const defaultTailerSettings: TailerSettings = {
  pollInterval: "200 millis",
  scanInterval: "2 seconds",
  maxLineBytes: 256 * 1024,
  readChunkBytes: 256 * 1024,
  rotationGrace: "2 seconds"
}

const linesRead = Metric.counter("dd_agent_inputs_file_lines_total", { description: "lines read from tailed files" })
const rotations = Metric.counter("dd_agent_inputs_file_rotations_total", { description: "rotations and truncations followed" })
const failures = Metric.counter("dd_agent_inputs_file_errors_total", {
  description: "failed file-system calls of file inputs (open, stat, read, glob), each also logged"
})

const isAbsent = (e: InputReadError) => (e.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT"

/** Reports a failure: logged with its path and operation, counted, and passed to `onEvent`. */
const reportFailure = (error: InputReadError, settings: TailerSettings) =>
  Effect.logWarning(error.message).pipe(
    Effect.annotateLogs({ path: error.input, operation: error.operation }),
    Effect.zipRight(Metric.increment(failures)),
    Effect.zipRight(Effect.sync(() => settings.onEvent?.({ _tag: "Failed", error })))
  )

/** A glob may name one file or many; a literal path is matched as is (no such file: no match). */
const expand = (pattern: string): Effect.Effect<Array<string>, InputReadError> =>
  Effect.tryPromise({
    try: async () => {
      if (!/[*?[{]/.test(pattern)) {
        try {
          await FsP.stat(pattern)
          return [pattern]
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") return []
          throw e
        }
      }
      const out: Array<string> = []
      for await (const p of FsP.glob(pattern)) out.push(p)
      return out.sort()
    },
    catch: inputError(pattern, "glob")
  })

const identityOf = (st: Fs.Stats) => ({ dev: st.dev, ino: st.ino, size: st.size })

/** The file's first bytes, up to the fingerprint length. */
const readHead = (path: string, handle: FsP.FileHandle, size: number) =>
  Effect.tryPromise({
    try: async () => {
      const head = Buffer.alloc(Math.min(size, fingerprintBytes))
      const { bytesRead } = await handle.read(head, 0, head.length, 0)
      return head.subarray(0, bytesRead)
    },
    catch: inputError(path, "read")
  })

/**
 * Where reading of one file stands: its line splitter, the source the registry tracks its progress by, and
 * where the last chunk handed out ended. A file renamed to another path the glob matches (`app.log` →
 * `app.log.1` with `*.log*`) keeps its cursor: the new path's tailer adopts it and tracks its source under the
 * new name, so the file is read once and the acknowledgements of lines read under the old name still count.
 */
interface FileCursor {
  readonly dev: number
  readonly ino: number
  /** Creation time: an inode number can be reused by a new file at once; the pair cannot. */
  readonly birthtimeMs: number
  readonly splitter: LineSplitter
  /** The source the registry knows it by; its fingerprint is taken again as the file grows (to 1 KiB). */
  source: FileSource
  /** The end of the last chunk handed to the sink (the next chunk's position starts there). */
  handedOut: number
  /** When the tailer that had it open let it go (for bounding the handoff table). */
  releasedAt: number
}

interface FileIdentities {
  /** Files open by a tailer right now. */
  readonly active: Set<string>
  /** Cursors of files whose tailer left them after a rotation, waiting for a tailer under another name. */
  readonly handoffs: Map<string, FileCursor>
}

const maxHandoffs = 1_000
const handoffTtlMs = 10 * 60_000

/** Takes the cursor left for this very file (same inode and creation time), if any. */
const adopt = (files: FileIdentities, id: string, st: Fs.Stats, now: number): FileCursor | undefined => {
  for (const [k, c] of files.handoffs) if (now - c.releasedAt > handoffTtlMs) files.handoffs.delete(k)
  const c = files.handoffs.get(id)
  if (c === undefined) return undefined
  files.handoffs.delete(id)
  // Without a creation time (some filesystems) a reused inode cannot be told apart: read it anew instead.
  const same = c.birthtimeMs > 0 && c.birthtimeMs === st.birthtimeMs && st.size >= c.splitter.committedPosition
  return same ? c : undefined
}

const leave = (files: FileIdentities, id: string, cursor: FileCursor, now: number) => {
  cursor.releasedAt = now
  files.handoffs.delete(id)
  files.handoffs.set(id, cursor)
  if (files.handoffs.size > maxHandoffs) files.handoffs.delete(files.handoffs.keys().next().value!)
}

/** Tails one file until its scope closes. Follows rename rotation by reopening the path. */
const tailFile = (
  path: string,
  input: FileInputOptions,
  sink: LineSink,
  settings: TailerSettings,
  firstSeen: boolean,
  files: FileIdentities
) =>
  Effect.gen(function*() {
    const registry = yield* RegistryStore
    const tags = inputTags(input)
    const buffer = Buffer.allocUnsafe(settings.readChunkBytes)
    const graceMs = Duration.toMillis(settings.rotationGrace ?? defaultTailerSettings.rotationGrace!)
    let fromStart = !firstSeen // a file that appears after start is read from its beginning
    for (;;) {
      // One open file per iteration; a rotation ends the iteration and reopens the path.
      const outcome = yield* Effect.scoped(Effect.gen(function*() {
        const handle = yield* Effect.acquireRelease(
          Effect.tryPromise({ try: () => FsP.open(path, "r"), catch: inputError(path, "open") }),
          (h) => Effect.promise(() => h.close())
        )
        const statHandle = Effect.tryPromise({ try: () => handle.stat(), catch: inputError(path, "stat") })
        const st = yield* statHandle
        const identity = identityOf(st)
        const id = `${identity.dev}:${identity.ino}`
        // Another path's tailer is still reading this file (it was just renamed): leave it to that one.
        if (files.active.has(id)) return "busy" as const
        files.active.add(id)
        yield* Effect.addFinalizer(() => Effect.sync(() => files.active.delete(id)))
        const now0 = yield* Clock.currentTimeMillis
        const adopted = adopt(files, id, st, now0)
        const head = yield* readHead(path, handle, identity.size)
        const cursor: FileCursor = adopted ?? (() => {
          const start = resumeOffset(registry.get(path), { ...identity, head }, fromStart || input.startPosition === "beginning" ? 0 : identity.size)
          return {
            dev: identity.dev,
            ino: identity.ino,
            birthtimeMs: st.birthtimeMs,
            splitter: new LineSplitter(start, settings.maxLineBytes),
            source: { id: registry.newSource(), dev: identity.dev, ino: identity.ino, fingerprint: fingerprintOf(head), start },
            handedOut: start,
            releasedAt: 0
          }
        })()
        const { splitter } = cursor
        // The registry records this file's progress under the path it is read under now. Settled positions
        // keep advancing it after this scope closes: an orderly stop ends reading first and collects the last
        // acknowledgements after.
        registry.track(path, cursor.source)
        const start = splitter.committedPosition
        settings.onEvent?.({ _tag: "Opened", path, offset: start })
        let rotatedAt: number | undefined
        for (;;) {
          // Read everything available, in bounded chunks, handing each chunk's lines to the sink.
          for (;;) {
            const size = (yield* statHandle).size
            if (size < splitter.position) {
              yield* Effect.logInfo("file truncated; reading from the start").pipe(Effect.annotateLogs({ path }))
              yield* Metric.increment(rotations)
              splitter.reset(0)
              // Another source: positions still in flight for the old content advance nothing.
              cursor.source = { ...cursor.source, id: registry.newSource(), fingerprint: fingerprintOf(new Uint8Array(0)), start: 0 }
              cursor.handedOut = 0
              registry.track(path, cursor.source)
              settings.onEvent?.({ _tag: "Truncated", path })
            }
            const { bytesRead } = yield* Effect.tryPromise({
              try: () => handle.read(buffer, 0, buffer.length, splitter.position),
              catch: inputError(path, "read")
            })
            if (bytesRead === 0) break
            if (cursor.source.fingerprint.bytes < fingerprintBytes && splitter.position < fingerprintBytes) {
              // The file is still within the fingerprint's reach: fingerprint what it holds now.
              cursor.source = { ...cursor.source, fingerprint: fingerprintOf(yield* readHead(path, handle, splitter.position + bytesRead)) }
              registry.track(path, cursor.source)
            }
            const split = splitter.feed(buffer.subarray(0, bytesRead))
            if (split.length === 0) continue
            const now = yield* Clock.currentTimeMillis
            const lines = new Array<InputLine>(split.length)
            for (let i = 0; i < split.length; i++) {
              const l = split[i]!
              lines[i] = { text: l.text, timestamp: now, tags, origin: { file: path, endOffset: l.endOffset } }
            }
            const position = { source: cursor.source.id, start: cursor.handedOut, end: split[split.length - 1]!.endOffset }
            cursor.handedOut = position.end
            yield* Metric.incrementBy(linesRead, lines.length)
            yield* sink(lines, position)
          }
          if (rotatedAt !== undefined) {
            // The grace period is over and the old file was drained once more (above): move on.
            const now = yield* Clock.currentTimeMillis
            if (now - rotatedAt >= graceMs) {
              leave(files, id, cursor, now)
              return "rotated" as const
            }
          } else {
            // Rotated by rename: the path names another file. The writer may still append to the old one
            // until it reopens the path, so keep reading the old file for a grace period before switching.
            // No file at the path (deleted, or between rename and re-creation): keep reading the open one.
            const now = yield* Effect.tryPromise({ try: () => FsP.stat(path), catch: inputError(path, "stat") }).pipe(
              Effect.map(Option.some),
              Effect.catchIf(isAbsent, () => Effect.succeedNone)
            )
            if (now._tag === "Some" && (now.value.ino !== identity.ino || now.value.dev !== identity.dev)) {
              yield* Effect.logInfo("file rotated; following the new file").pipe(Effect.annotateLogs({ path }))
              yield* Metric.increment(rotations)
              settings.onEvent?.({ _tag: "Rotated", path })
              if (graceMs <= 0) {
                leave(files, id, cursor, rotatedAt ?? (yield* Clock.currentTimeMillis))
                return "rotated" as const
              }
              rotatedAt = yield* Clock.currentTimeMillis
            }
          }
          yield* Effect.sleep(settings.pollInterval)
        }
      }))
      if (outcome === "busy") return
      fromStart = true
    }
  }).pipe(
    // A file removed between the scan and the open simply is not there; any other failure stops this file's
    // tailer (it is not the end of the file) until the next scan finds the file again.
    Effect.catchAll((error) => error.operation === "open" && isAbsent(error) ? Effect.void : reportFailure(error, settings))
  )

/**
 * Tails every file matching `input.path` until the scope closes. Files present at start begin at their end
 * (or the registry's offset); files that appear later are read from their beginning.
 */
export const runFileInput = (input: FileInputOptions, sink: LineSink, settings: TailerSettings = defaultTailerSettings) =>
  Effect.gen(function*() {
    const tailers = yield* FiberMap.make<string>()
    const files: FileIdentities = { active: new Set(), handoffs: new Map() }
    let first = true
    const scan = Effect.gen(function*() {
      // A pattern that cannot be expanded (unreadable directory, symlink loop) is reported, not taken as "no files".
      const paths = yield* expand(input.path).pipe(
        Effect.catchAll((error) => Effect.as(reportFailure(error, settings), [] as Array<string>))
      )
      for (const p of paths) {
        if (!(yield* FiberMap.has(tailers, p))) {
          yield* FiberMap.run(tailers, p, tailFile(p, input, sink, settings, first, files))
        }
      }
      first = false
    })
    yield* scan.pipe(Effect.repeat(Schedule.spaced(settings.scanInterval)), Effect.interruptible)
  }).pipe(Effect.scoped)
