import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, Exit } from "effect"
import { type FileIo, layerFile, nodeFileIo } from "../../src/layers/logs/IntakeOutputLive.js"
import { IntakeOutput, IntakeOutputError } from "../../src/services/logs/IntakeOutput.js"
import { ChunkPool, type IntakeBatch, JsonLinesEncoder, toIntakeRecord } from "../../src/services/logs/IntakeRecord.js"
import type { ReconstructedLog } from "../../src/services/logs/StreamDecoder.js"

const arbLog: fc.Arbitrary<ReconstructedLog> = fc.record({
  timestamp: fc.integer({ min: -1e15, max: 1e15 }),
  message: fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constant("\"quoted\\\n\u2028\u0000")),
  tags: fc.oneof(fc.constant(""), fc.array(fc.stringMatching(/^[a-z:]{1,8}$/), { minLength: 1, maxLength: 3 }).map((t) => t.join(","))),
  status: fc.option(fc.constantFrom("info", "error", "wârn"), { nil: undefined }),
  uuid: fc.option(fc.uuid(), { nil: undefined })
})

const batchOf = (logs: ReadonlyArray<ReconstructedLog>, batch = 1): IntakeBatch => ({ stream: 3, batch, logs })
const lines = (b: IntakeBatch) => b.logs.map((l) => JSON.stringify(toIntakeRecord(l, b.stream, b.batch)) + "\n").join("")

describe("JSON lines encoded straight into buffers", () => {
  it("are the bytes JSON.stringify gives for each record, across chunk boundaries", () => {
    fc.assert(
      fc.property(fc.array(arbLog, { maxLength: 200 }), fc.integer({ min: 1, max: 20_000 }), (logs, chunkBytes) => {
        const e = new JsonLinesEncoder(new ChunkPool(chunkBytes))
        const b = batchOf(logs)
        e.encode(b, 0, Math.floor(logs.length / 2))
        e.encode(b, Math.floor(logs.length / 2))
        expect(Buffer.concat(e.take()).toString("utf8")).toBe(lines(b))
      }),
      { numRuns: 300 }
    )
  })
})

describe("the chunk pool", () => {
  it("reuses the chunks an encoder filled once they are given back, keeps at most its bound, and never a slice it does not own", () => {
    const pool = new ChunkPool(64 * 1024, 2)
    const e = new JsonLinesEncoder(pool)
    const b = batchOf(Array.from({ length: 200 }, (_, i) => log(`line ${i} `.repeat(60))))
    e.encode(b)
    const first = e.take()
    expect(first.length).toBeGreaterThan(2)
    expect(Buffer.concat(first).toString("utf8")).toBe(lines(b))
    pool.give(first)
    const taken = [pool.take(), pool.take(), pool.take()]
    expect(taken.map((c) => first.findIndex((f) => f.buffer === c.buffer))).toEqual([1, 0, -1]) // at most 2 kept
    const other = new ChunkPool(64 * 1024, 8)
    const notWhole = [Buffer.allocUnsafe(100), Buffer.alloc(64 * 1024).subarray(1), Buffer.alloc(1000)]
    other.give(notWhole)
    const fresh = other.take()
    expect(notWhole.some((b) => b.buffer === fresh.buffer)).toBe(false)
    expect(fresh.length).toBe(64 * 1024)
  })
})

const log = (message: string): ReconstructedLog => ({ timestamp: 1, message, tags: "", status: undefined, uuid: undefined })

const withFile = <A, E>(io: FileIo, f: (path: string, write: (b: IntakeBatch) => Effect.Effect<void, IntakeOutputError>) => Effect.Effect<A, E>) => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "intake-out-"))
  const path = Path.join(dir, "out.jsonl")
  Fs.writeFileSync(path, "{\"existing\":true}\n")
  return Effect.gen(function*() {
    const output = yield* IntakeOutput
    return yield* f(path, output.write)
  }).pipe(
    Effect.provide(layerFile(path, io)),
    Effect.ensuring(Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))),
    Effect.runPromise
  )
}

describe("file output after a failed write", () => {
  it("keeps no partial record, fails loudly, and writes the next batch once space returns", async () => {
    let fullDisk = false
    // A disk that fills up mid-batch: part of the batch is written, then ENOSPC.
    const io: FileIo = {
      ...nodeFileIo,
      writev: async (fd, chunks, position) => {
        if (!fullDisk) return nodeFileIo.writev(fd, chunks, position)
        const part = chunks[0]!.subarray(0, Math.max(1, chunks[0]!.length >> 1))
        const n = await nodeFileIo.writev(fd, [part], position)
        if (n > 0 && part.length > 0) fullDisk = false // the next call fails like the disk does
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" })
      }
    }
    await withFile(io, (path, write) =>
      Effect.gen(function*() {
        yield* write(batchOf([log("one"), log("two")], 1))
        fullDisk = true
        const failed = yield* Effect.exit(write(batchOf([log("three ".repeat(100)), log("four")], 2)))
        expect(Exit.isFailure(failed)).toBe(true)
        const error = Exit.isFailure(failed) ? JSON.stringify(failed.cause) : ""
        expect(error).toMatch(/cannot write to .*out\.jsonl: ENOSPC: no space left on device/)
        expect(error).toMatch(/nothing of the batch was kept/)
        const afterFailure = Fs.readFileSync(path, "utf8")
        expect(afterFailure).toBe("{\"existing\":true}\n" + lines(batchOf([log("one"), log("two")], 1)))
        // Space is back: the next batch lands right after the last whole one.
        yield* write(batchOf([log("five")], 3))
        const text = Fs.readFileSync(path, "utf8")
        expect(text).toBe(afterFailure + lines(batchOf([log("five")], 3)))
        for (const line of text.trim().split("\n")) JSON.parse(line)
      }))
  })

  it("a truncation that fails too is retried before the next write", async () => {
    let failWrite = false
    let failTruncate = false
    const io: FileIo = {
      writev: async (fd, chunks, position) => {
        if (!failWrite) return nodeFileIo.writev(fd, chunks, position)
        failWrite = false
        await nodeFileIo.writev(fd, [chunks[0]!.subarray(0, 5)], position)
        throw Object.assign(new Error("EIO: i/o error, write"), { code: "EIO" })
      },
      ftruncate: async (fd, length) => {
        if (failTruncate) {
          failTruncate = false
          throw Object.assign(new Error("EIO: i/o error, ftruncate"), { code: "EIO" })
        }
        return nodeFileIo.ftruncate(fd, length)
      }
    }
    await withFile(io, (path, write) =>
      Effect.gen(function*() {
        failWrite = true
        failTruncate = true
        const failed = yield* Effect.exit(write(batchOf([log("lost")], 1)))
        expect(Exit.isFailure(failed) && JSON.stringify(failed.cause)).toMatch(/could not be removed yet/)
        yield* write(batchOf([log("kept")], 2))
        expect(Fs.readFileSync(path, "utf8")).toBe("{\"existing\":true}\n" + lines(batchOf([log("kept")], 2)))
      }))
  })
})

