/**
 * The offset registry: per tailed file, the offset up to which every line was acknowledged, with the file's
 * identity so that a rotated file is not resumed at the old file's offset.
 */
import { Either, ParseResult, Schema } from "effect"

export const RegistryEntry = Schema.Struct({
  offset: Schema.Int.pipe(Schema.nonNegative()),
  /** Device and inode: a different file at the same path starts from 0. */
  dev: Schema.Number,
  ino: Schema.Number,
  updatedAt: Schema.Number
})
export type RegistryEntry = typeof RegistryEntry.Type

export const RegistryFile = Schema.Struct({
  version: Schema.Literal(1),
  files: Schema.Record({ key: Schema.String, value: RegistryEntry })
})
export type RegistryFile = typeof RegistryFile.Type

export const emptyRegistry: RegistryFile = { version: 1, files: {} }

export const parseRegistry = (text: string): Either.Either<RegistryFile, string> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Either.left(`not JSON: ${(e as Error).message}`)
  }
  return Either.mapLeft(Schema.decodeUnknownEither(RegistryFile)(json), (e) => ParseResult.TreeFormatter.formatErrorSync(e))
}

/** Where to resume a file: its registered offset when it is the same file and not shorter, else `fallback`. */
export const resumeOffset = (
  entry: RegistryEntry | undefined,
  identity: { readonly dev: number; readonly ino: number; readonly size: number },
  fallback: number
): number => {
  if (entry === undefined) return fallback
  if (entry.dev !== identity.dev || entry.ino !== identity.ino) return 0 // replaced while we were down: read it all
  return entry.offset <= identity.size ? entry.offset : 0 // truncated while we were down
}
