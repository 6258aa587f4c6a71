/** Reads the TLS files a stream endpoint is configured with (CA bundle, client certificate and key). */
import * as Fs from "node:fs"
import { Data, Effect, Redacted } from "effect"
import type { GrpcTls } from "./GrpcStreamTransport.js"

export interface TlsFiles {
  readonly caFile?: string | undefined
  readonly certFile?: string | undefined
  readonly keyFile?: string | undefined
  readonly serverName?: string | undefined
}

export class TlsFileError extends Data.TaggedError("TlsFileError")<{ readonly path: string; readonly message: string; readonly cause?: unknown }> {}

const read = (what: string, path: string | undefined) =>
  path === undefined ? Effect.succeed(undefined) : Effect.try({
    try: () => Fs.readFileSync(path),
    catch: (cause) => new TlsFileError({ path, message: `cannot read the TLS ${what} ${path}: ${(cause as Error).message}`, cause })
  })

export const readTlsFiles = (files: TlsFiles): Effect.Effect<GrpcTls, TlsFileError> =>
  Effect.gen(function*() {
    if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
      return yield* new TlsFileError({ path: files.certFile ?? files.keyFile ?? "", message: "a TLS client certificate needs both its certificate and its key file" })
    }
    const key = yield* read("client key", files.keyFile)
    return {
      ca: yield* read("CA file", files.caFile),
      cert: yield* read("client certificate", files.certFile),
      key: key === undefined ? undefined : Redacted.make(key),
      serverName: files.serverName
    }
  })
