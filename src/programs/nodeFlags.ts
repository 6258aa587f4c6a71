/**
 * V8 settings chosen per kind of process. V8 reads heap sizes only when the process starts, so a command that
 * wants them re-executes itself once (`process.execve`: same pid, same stdio, so signals and supervisors see one
 * process; it costs one more Node start-up, ~40 ms, paid only by long-running commands). Flags already given
 * (on the node command line or in NODE_OPTIONS) win, and a runtime without `process.execve` runs as it is.
 * Imports nothing but Node: it runs before the bundle is loaded.
 */

/**
 * The data-moving commands (run, intake, logs send): a young generation sized for their allocation rate, and an
 * old generation that V8 lets grow by 2× between full collections instead of its default heuristic, which let a
 * sender's heap (payloads held until acknowledged, freed only by a full collection) reach ~190 MiB of RSS on a
 * ~40 MiB live heap; with it, ~148 MiB for the same CPU (README, sender section, "Where the sender's peak goes").
 */
export const dataFlags: ReadonlyArray<string> = ["--max-semi-space-size=8", "--heap-growing-percent=100"]

/**
 * The trace loader idles for as long as no traffic arrives: no background compiler or GC threads (each
 * holds its own malloc arena), the smallest young generation, and no Maglev: Node's start-up normalises the
 * script's path character by character, and with a path over ~40 characters (any installed package) that loop
 * got Maglev-compiled, which faults in ~1.8 MiB of the compiler's code for the loader's whole life (README,
 * "Trace loader"). Nothing the loader runs is hot enough to need it.
 */
export const loaderFlags: ReadonlyArray<string> = ["--single-threaded", "--max-semi-space-size=1", "--no-maglev"]

const flagName = (flag: string) => flag.split("=")[0]!.replaceAll("_", "-")

/** Re-executes this process with the `flags` it was not started with; returns when there is nothing to add. */
export const reexecWith = (flags: ReadonlyArray<string>): void => {
  if (typeof process.execve !== "function") return
  const given = [...process.execArgv, ...(process.env["NODE_OPTIONS"] ?? "").split(/\s+/)].map(flagName)
  const missing = flags.filter((f) => !given.includes(flagName(f)))
  if (missing.length === 0) return
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env)
}
