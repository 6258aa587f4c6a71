/**
 * Source maps of loaded scripts: inline (`data:` URLs) or files next to the script, parsed with
 * @jridgewell/trace-mapping. Used to find the generated position of a probe set on an original source
 * and to report stack frames in original sources.
 */
import * as fs from "node:fs/promises"
import { fileURLToPath, pathToFileURL } from "node:url"
import { GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, TraceMap, generatedPositionFor, originalPositionFor } from "@jridgewell/trace-mapping"
import { Effect, Option } from "effect"
import { SourceMapUnusable } from "../../../services/debugger/live/errors.js"

/** Maps larger than this are not read (a probe on such a bundle must name the generated file). */
const maxMapBytes = 64 * 1024 * 1024

const scriptUrlOf = (url: string): string => (url.startsWith("/") ? pathToFileURL(url).href : url)

const decodeDataUrl = (url: string): string | undefined => {
  const comma = url.indexOf(",")
  if (comma < 0) return undefined
  const meta = url.slice(5, comma)
  const data = url.slice(comma + 1)
  return meta.endsWith(";base64") ? Buffer.from(data, "base64").toString("utf8") : decodeURIComponent(data)
}

const detailOf = (e: unknown) => (e instanceof Error ? e.message : String(e))

const parseMap = (text: string, base: string, map: string) =>
  Effect.try({
    try: () => new TraceMap(text, base),
    catch: (e) => new SourceMapUnusable({ map, reason: "Malformed", detail: `not a source map: ${detailOf(e)}` })
  })

const readMapFile = (path: string): Effect.Effect<string, SourceMapUnusable> =>
  Effect.tryPromise({
    try: () => fs.stat(path),
    catch: (e) =>
      new SourceMapUnusable({ map: path, reason: (e as NodeJS.ErrnoException).code === "ENOENT" ? "Missing" : "Unreadable", detail: detailOf(e) })
  }).pipe(
    Effect.filterOrFail(
      (st) => st.size <= maxMapBytes,
      (st) => new SourceMapUnusable({ map: path, reason: "TooLarge", detail: `${st.size} bytes, over the ${maxMapBytes}-byte limit` })
    ),
    Effect.zipRight(Effect.tryPromise({
      try: () => fs.readFile(path, "utf8"),
      catch: (e) => new SourceMapUnusable({ map: path, reason: "Unreadable", detail: detailOf(e) })
    }))
  )

/**
 * Loads the map a script names; `None` when there is none. A map that exists but cannot be used is reported
 * (logged with its path and reason) and the script is used as is.
 */
export const loadSourceMap = (scriptUrl: string, sourceMapURL: string): Effect.Effect<Option.Option<TraceMap>> =>
  Effect.gen(function*() {
    const base = scriptUrlOf(scriptUrl)
    if (sourceMapURL.startsWith("data:")) {
      const text = decodeDataUrl(sourceMapURL)
      if (text === undefined) {
        return yield* new SourceMapUnusable({ map: `inline in ${scriptUrl}`, reason: "Malformed", detail: "malformed data: URL" })
      }
      return Option.some(yield* parseMap(text, base, `inline in ${scriptUrl}`))
    }
    const mapUrl = yield* Effect.try(() => new URL(sourceMapURL, base)).pipe(Effect.option)
    // Only local files are read: a map served over HTTP (or a URL that does not parse) is not fetched.
    if (Option.isNone(mapUrl) || mapUrl.value.protocol !== "file:") return Option.none()
    const path = fileURLToPath(mapUrl.value)
    const text = yield* readMapFile(path)
    return Option.some(yield* parseMap(text, mapUrl.value.href, path))
  }).pipe(
    Effect.catchTag("SourceMapUnusable", (e) =>
      // A map that was never shipped next to the script is not worth a warning; any other failure is.
      e.reason === "Missing" ? Effect.succeedNone : Effect.as(Effect.logWarning(e.message), Option.none()))
  )

/** The original sources of a map, resolved to paths or URLs. */
export const sourcesOf = (map: TraceMap): ReadonlyArray<string | null> => map.resolvedSources

/** 0-based generated position of the first code on a 1-based original line, if the line has any. */
export const generatedLine = (map: TraceMap, source: string, line: number): Option.Option<{ line: number; column: number }> => {
  for (const bias of [LEAST_UPPER_BOUND, GREATEST_LOWER_BOUND] as const) {
    const g = generatedPositionFor(map, { source, line, column: 0, bias })
    if (g.line !== null && g.column !== null) return Option.some({ line: g.line - 1, column: g.column })
  }
  return Option.none()
}

/** The original position of a 1-based line and column, when the map covers it. */
export const originalPosition = (map: TraceMap, line: number, column: number) => {
  const o = originalPositionFor(map, { line, column: Math.max(0, column - 1) })
  return o.source === null || o.line === null
    ? Option.none()
    : Option.some({ source: o.source, line: o.line, column: (o.column ?? 0) + 1, name: o.name ?? undefined })
}
