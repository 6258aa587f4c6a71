/**
 * The start-up check of the commands that compress or decompress logs with zstd (`run`, `intake`, `logs`):
 * on a runtime without zstd in node:zlib they stop before doing anything (before `ready` or `listening`), with
 * one line saying why, instead of failing on the first batch.
 */
import type { Command } from "@effect/cli"
import * as CommandModule from "@effect/cli/Command"
import { Data, Effect } from "effect"
import { zstdAvailable } from "../services/logs/ContentEncoding.js"

export class RuntimeUnsupported extends Data.TaggedError("RuntimeUnsupported")<{ readonly message: string }> {}

/** Fails when node:zlib has no zstd (Node.js < 22.15). */
export const requireZstd: Effect.Effect<void, RuntimeUnsupported> = Effect.suspend(() =>
  zstdAvailable
    ? Effect.void
    : Effect.fail(new RuntimeUnsupported({ message: `node:zlib has no zstd in Node.js ${process.version}: dd-agent needs Node.js >= 22.15` }))
)

/** `command` (and its subcommands), checking for zstd before its handler runs. */
export const needsZstd = <Name extends string, R, E, A>(command: Command.Command<Name, R, E, A>) =>
  CommandModule.transformHandler(command, (handler) => Effect.zipRight(requireZstd, handler))
