import { describe, expect, it } from "vitest"
import { fingerprintBytes, fingerprintOf, type RegistryEntry, resumeOffset, sameFile } from "../../src/services/inputs/Registry.js"

const bytes = (s: string) => Buffer.from(s)
const entryFor = (head: string, offset: number, dev = 1, ino = 7): RegistryEntry => ({ offset, dev, ino, fingerprint: fingerprintOf(bytes(head)), updatedAt: 0 })

describe("registry file identity", () => {
  it("the same device and inode with other first bytes is another file: read from the start", () => {
    const entry = entryFor("first line\nsecond line\n", 23)
    const reused = { dev: 1, ino: 7, size: 40, head: bytes("a new file, same inode\nmore\n") }
    expect(sameFile(entry, reused)).toBe(false)
    expect(resumeOffset(entry, reused, 40)).toBe(0)
  })

  it("the same file, grown since: resumed at the registered offset", () => {
    const entry = entryFor("first line\nsecond line\n", 23)
    const grown = { dev: 1, ino: 7, size: 35, head: bytes("first line\nsecond line\nthird line\n") }
    expect(resumeOffset(entry, grown, 35)).toBe(23)
  })

  it("a file shorter than the fingerprint is identified by all the bytes it had", () => {
    const entry = entryFor("abc\n", 4)
    expect(entry.fingerprint!.bytes).toBe(4)
    // Shorter now than what was fingerprinted: truncated or another file.
    expect(resumeOffset(entry, { dev: 1, ino: 7, size: 2, head: bytes("ab") }, 2)).toBe(0)
    // Begins with exactly the fingerprinted bytes: the same file (only the shared, already sent bytes are skipped).
    expect(resumeOffset(entry, { dev: 1, ino: 7, size: 8, head: bytes("abc\ndef\n") }, 8)).toBe(4)
  })

  it("only the first fingerprintBytes bytes count", () => {
    const long = "x".repeat(fingerprintBytes)
    const entry = entryFor(long + "tail that differs later", 2000)
    expect(entry.fingerprint!.bytes).toBe(fingerprintBytes)
    expect(resumeOffset(entry, { dev: 1, ino: 7, size: 3000, head: bytes(long) }, 3000)).toBe(2000)
  })

  it("another device or inode is another file; an entry without a fingerprint (older registry) is matched by both", () => {
    const entry = entryFor("abc\n", 4)
    expect(resumeOffset(entry, { dev: 2, ino: 7, size: 8, head: bytes("abc\ndef\n") }, 8)).toBe(0)
    expect(resumeOffset(entry, { dev: 1, ino: 8, size: 8, head: bytes("abc\ndef\n") }, 8)).toBe(0)
    const legacy: RegistryEntry = { offset: 4, dev: 1, ino: 7, updatedAt: 0 }
    expect(resumeOffset(legacy, { dev: 1, ino: 7, size: 8, head: bytes("zzz\n") }, 8)).toBe(4)
  })

  it("an unknown file starts at the fallback; a registered offset past the end (truncated) starts at 0", () => {
    expect(resumeOffset(undefined, { dev: 1, ino: 7, size: 8, head: bytes("abc\ndef\n") }, 8)).toBe(8)
    expect(resumeOffset(entryFor("abc\n", 4), { dev: 1, ino: 7, size: 4, head: bytes("abc\n") }, 4)).toBe(4)
    expect(resumeOffset({ ...entryFor("abc\n", 4), offset: 9 }, { dev: 1, ino: 7, size: 4, head: bytes("abc\n") }, 4)).toBe(0)
  })
})
