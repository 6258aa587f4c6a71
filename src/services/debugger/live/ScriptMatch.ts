/**
 * Which loaded script a probe's FILE designates: the end of the script's path, on a path-component
 * boundary (`cart.js` matches `/srv/app/cart.js`, not `/srv/app/mycart.js`), or the end of an original
 * source named by the script's source map. Pure.
 */
import { fileURLToPath } from "node:url"

/** A script URL as a path: `file://` URLs are decoded; anything else is kept as it is. */
export const scriptPath = (url: string): string => {
  if (!url.startsWith("file://")) return url
  try {
    return fileURLToPath(url)
  } catch {
    return url
  }
}

const normalize = (p: string): string => p.replace(/\\/g, "/").replace(/^\.\//, "")

/** true when `path` ends with `file` on a path-component boundary. */
export const pathEndsWith = (path: string, file: string): boolean => {
  const p = normalize(path)
  const f = normalize(file)
  if (f === "" || !p.endsWith(f)) return false
  return p.length === f.length || f.startsWith("/") || p[p.length - f.length - 1] === "/"
}

/** The original source of a map that `file` designates, if exactly one does (else all candidates). */
export const matchingSources = (sources: ReadonlyArray<string | null>, file: string): ReadonlyArray<string> =>
  sources.filter((s): s is string => s !== null && pathEndsWith(scriptPath(s), file))
