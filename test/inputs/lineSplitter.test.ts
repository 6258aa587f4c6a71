import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { LineSplitter } from "../../src/services/inputs/LineSplitter.js"
import { AckRanges } from "../../src/services/inputs/AckRanges.js"

const split = (chunks: ReadonlyArray<string | Buffer>, max = 1024, offset = 0) => {
  const s = new LineSplitter(offset, max)
  return chunks.flatMap((c) => s.feed(typeof c === "string" ? Buffer.from(c) : c))
}

describe("LineSplitter", () => {
  it("strips LF and CRLF endings, keeps a lone CR inside a line, and joins lines across chunks", () => {
    const lines = split(["a\r\nb", "c\n", "with \r inside\n", "\r\n", "tail"])
    expect(lines.map((l) => l.text)).toEqual(["a", "bc", "with \r inside", ""])
    expect(lines.map((l) => l.endOffset)).toEqual([3, 6, 20, 22])
  })

  it("a line of exactly the limit ending in CRLF is one line, not a piece and an empty line", () => {
    const lines = split(["x".repeat(8) + "\r\n", "next\n"], 8)
    expect(lines).toEqual([
      { text: "x".repeat(8), endOffset: 10, truncated: false },
      { text: "next", endOffset: 15, truncated: false }
    ])
  })

  it("cuts an over-long line into marked pieces on character boundaries", () => {
    const line = "é".repeat(10) // 20 bytes
    const lines = split([line + "\n"], 7)
    expect(lines.map((l) => l.text)).toEqual(["ééé", "ééé", "ééé", "é"])
    expect(lines.map((l) => l.truncated)).toEqual([true, true, true, false])
    expect(lines.every((l) => !l.text.includes("\uFFFD"))).toBe(true)
    expect(lines.at(-1)!.endOffset).toBe(21)
  })

  it("property: any split of any text gives back its lines (when none is over the limit) and exact offsets", () => {
    fc.assert(fc.property(
      fc.array(fc.string({ unit: "grapheme", maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, "")), { maxLength: 20 }),
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }),
      (lines, crlf, cuts) => {
        const text = Buffer.from(lines.map((l) => l + (crlf ? "\r\n" : "\n")).join(""))
        const chunks: Array<Buffer> = []
        let at = 0
        for (let i = 0; at < text.length; i++) {
          const n = cuts[i % cuts.length]!
          chunks.push(text.subarray(at, at + n))
          at += n
        }
        const out = split(chunks, 1024)
        expect(out.map((l) => l.text)).toEqual(lines)
        let end = 0
        out.forEach((l, i) => {
          end += Buffer.byteLength(lines[i]!) + (crlf ? 2 : 1)
          expect(l.endOffset).toBe(end)
        })
      }
    ), { numRuns: 200 })
  })
})

describe("AckRanges", () => {
  it("commits only over a contiguous run of settled ranges, whatever the order they settle in", () => {
    const r = new AckRanges(100)
    expect(r.settle(110, 120)).toBeUndefined()
    expect(r.settle(120, 130)).toBeUndefined()
    expect(r.committedOffset).toBe(100)
    expect(r.waiting).toBe(2)
    expect(r.settle(100, 110)).toBe(130)
    expect(r.waiting).toBe(0)
    expect(r.settle(100, 110)).toBeUndefined() // settling again changes nothing
    expect(r.settle(130, 140)).toBe(140)
  })

  it("property: any order of settling a tiling ends at its end, never committing past a gap", () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 30 }).chain((sizes) =>
        fc.tuple(fc.constant(sizes), fc.shuffledSubarray(sizes.map((_, i) => i), { minLength: sizes.length, maxLength: sizes.length }))),
      ([sizes, order]) => {
        const bounds = [7]
        for (const s of sizes) bounds.push(bounds.at(-1)! + s)
        const r = new AckRanges(7)
        const settled = new Set<number>()
        for (const i of order) {
          r.settle(bounds[i]!, bounds[i + 1]!)
          settled.add(i)
          let k = 0
          while (settled.has(k)) k++
          expect(r.committedOffset).toBe(bounds[k])
        }
        expect(r.committedOffset).toBe(bounds.at(-1))
      }
    ), { numRuns: 200 })
  })
})

describe("LineSplitter across reads", () => {
  it("never splits a character when the cut falls on a read boundary", () => {
    const line = Buffer.from("日".repeat(100)) // 300 bytes, 3 per character
    const chunks = [line.subarray(0, 128), line.subarray(128, 256), Buffer.concat([line.subarray(256), Buffer.from("\n")])]
    const pieces = split(chunks, 128)
    expect(pieces.every((p) => !p.text.includes("\uFFFD"))).toBe(true)
    expect(pieces.map((p) => p.text).join("")).toBe("日".repeat(100))
    expect(pieces.map((p) => p.truncated)).toEqual([true, true, false])
    expect(pieces.at(-1)!.endOffset).toBe(301)
  })

  it("a lead byte already held is carried into the next piece", () => {
    const pieces = split([Buffer.from("abc"), Buffer.from([0xe2, 0x82, 0xac, 0x78, 0x0a])], 4)
    expect(pieces.map((p) => p.text)).toEqual(["abc", "€x"])
  })

  it("a line of exactly the limit whose CR ends one read and LF starts the next is one line", () => {
    const pieces = split(["x".repeat(8) + "\r", "\nnext\n"], 8)
    expect(pieces).toEqual([
      { text: "x".repeat(8), endOffset: 10, truncated: false },
      { text: "next", endOffset: 15, truncated: false }
    ])
  })

  it("property: pieces of over-long lines reassemble the line, each within the limit, on any read split", () => {
    fc.assert(fc.property(
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, "")),
      fc.integer({ min: 4, max: 16 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }),
      (line, max, cuts) => {
        const bytes = Buffer.from(line + "\r\n")
        const chunks: Array<Buffer> = []
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length]!
          chunks.push(bytes.subarray(at, at + n))
          at += n
        }
        const pieces = split(chunks, max)
        expect(pieces.map((p) => p.text).join("")).toBe(line)
        for (const p of pieces) expect(Buffer.byteLength(p.text)).toBeLessThanOrEqual(max)
        expect(pieces.at(-1)!.endOffset).toBe(bytes.length)
        expect(pieces.at(-1)!.truncated).toBe(false)
      }
    ), { numRuns: 300 })
  })
})
