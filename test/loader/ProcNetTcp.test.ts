import { describe, it } from "@effect/vitest"
import { assert } from "vitest"
import { classifyRow, decidedConnections, parseTcpTable, TcpState } from "../../src/services/loader/ProcNetTcp.js"

// Rows as the kernel prints them (fields: sl local rem st tx:rx tr:when retrnsmt uid timeout inode …).
const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1FBE 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1FBE 0100007F:D2F0 08 00000000:00000001 00:00000000 00000000     0        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1FBE 0100007F:D2F2 01 00000000:0000001B 00:00000000 00000000     0        0 1003 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1FBE 0100007F:D2F4 08 00000000:00000032 00:00000000 00000000     0        0 1004 1 0000000000000000 20 4 30 10 -1
   4: 0100007F:1FBE 0100007F:D2F6 01 00000000:00000000 00:00000000 00000000     0        0 1005 1 0000000000000000 20 4 30 10 -1
   5: 0100007F:1FBE 0100007F:D2F8 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
`
const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1FBE 00000000000000000000000001000000:D300 09 00000000:00000001 00:00000000 00000000     0        0 2001 1 0000000000000000 20 4 30 10 -1
`

describe("/proc/net/tcp parsing", () => {
  const table = parseTcpTable(tcp6, parseTcpTable(tcp))

  it("keys rows by inode with state and receive queue, skipping headers and inode 0 (TIME_WAIT)", () => {
    assert.deepStrictEqual(table.get(1003), { state: TcpState.ESTABLISHED, rxQueue: 27, inode: 1003 })
    assert.deepStrictEqual(table.get(2001), { state: TcpState.LAST_ACK, rxQueue: 1, inode: 2001 })
    assert.strictEqual(table.has(0), false)
    assert.strictEqual(table.size, 6)
  })

  it("classifies: FIN only → Closed, data → Data, data then FIN → Data minus the FIN, silent → Idle", () => {
    assert.strictEqual(classifyRow(table.get(1002))._tag, "Closed")
    assert.deepStrictEqual(classifyRow(table.get(1003)), classifyRow({ state: 1, rxQueue: 27, inode: 0 }))
    const d = classifyRow(table.get(1003))
    assert.strictEqual(d._tag === "Data" ? d.bytes : -1, 27)
    const dfin = classifyRow(table.get(1004))
    assert.strictEqual(dfin._tag === "Data" ? dfin.bytes : -1, 49)
    assert.strictEqual(classifyRow(table.get(1005))._tag, "Idle")
    assert.strictEqual(classifyRow(table.get(2001))._tag, "Closed")
  })

  it("a socket missing from the tables was reset (RST unhashes it) → Closed", () => {
    assert.strictEqual(classifyRow(table.get(424242))._tag, "Closed")
  })

  it("ignores garbage lines", () => {
    assert.strictEqual(parseTcpTable("nonsense\n  7: zz zz zz zz\n\n").size, 0)
  })

  it("one look decides every watched socket that closed or sent data, in order, and leaves silent ones out", () => {
    // 1002: FIN only → closed; 1003: 27 bytes → data; 1005: silent; 999: no row (reset) → closed.
    assert.deepStrictEqual(decidedConnections([tcp], [[1, 1002], [2, 1003], [3, 1005], [4, 999]]), [
      [1, { _tag: "Closed" }],
      [2, { _tag: "Data", bytes: 27 }],
      [4, { _tag: "Closed" }]
    ])
  })
})
