/** Generated log lines for benchmarks. */

/** ~200-byte access-log lines with the variety of real traffic (ids, latencies, addresses, trace ids). */
export const generateLines = (n: number): ReadonlyArray<string> => {
  let seed = 12345
  const rnd = (k: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    return seed % k
  }
  const methods = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
  const resources = ["items", "users", "orders", "carts", "sessions", "search", "inventory"]
  const levels = ["INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"]
  const agents = ["Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "curl/8.5.0", "okhttp/4.12.0", "Go-http-client/2.0"]
  const out: Array<string> = []
  for (let i = 0; i < n; i++) {
    const status = [200, 200, 200, 201, 204, 304, 404, 500][rnd(8)]
    out.push(
      `2026-11-23T01:${String(rnd(60)).padStart(2, "0")}:${String(rnd(60)).padStart(2, "0")}.${String(rnd(1000)).padStart(3, "0")}Z ` +
        `${levels[rnd(levels.length)]} [web-${rnd(17)}] ${methods[rnd(methods.length)]} /api/v2/${resources[rnd(resources.length)]}/${rnd(100_000)} ` +
        `HTTP/1.1 ${status} ${rnd(50_000)}B ${rnd(2_000)}ms client=10.${rnd(256)}.${rnd(256)}.${rnd(256)} ` +
        `ua="${agents[rnd(agents.length)]}" trace_id=${rnd(2 ** 30).toString(16)}${rnd(2 ** 30).toString(16)} user=u${rnd(20_000)}`
    )
  }
  return out
}
