/**
 * A JSON access-log corpus for the wire-bytes benchmark (the shared samples hold no JSON logs): one object per
 * line, as a structured-logging library writes them — ISO timestamps a few milliseconds apart, a level, a
 * handful of services and hosts, request fields with numbers and floats, user agents, trace ids, and now and
 * then an error with an extra field (a different key set). Deterministic: the same seed gives the same lines.
 */

const services = ["checkout", "cart", "search", "auth", "catalog"]
const methods = ["GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"]
const paths = ["/api/v1/items/{id}", "/api/v1/cart", "/api/v1/search?q={q}", "/api/v1/users/{id}/orders", "/healthz", "/api/v2/checkout/{id}"]
const words = ["shoes", "red", "laptop", "usb-c", "coffee", "book", "lamp", "desk", "phone", "case"]
const agents = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  "curl/8.5.0",
  "okhttp/4.12.0"
]
const errors = ["upstream timeout", "connection reset by peer", "invalid token", "item not found"]

export const jsonAccessLog = (n: number, seed = 20261127): ReadonlyArray<string> => {
  let s = seed >>> 0
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(rnd() * xs.length)]!
  const hex = (len: number) => {
    let h = ""
    for (let i = 0; i < len; i++) h += "0123456789abcdef"[Math.floor(rnd() * 16)]
    return h
  }
  let t = Date.UTC(2026, 10, 27, 10, 0, 0)
  const out: Array<string> = []
  for (let i = 0; i < n; i++) {
    t += Math.floor(rnd() * 40)
    const status = rnd() < 0.9 ? 200 : pick([201, 204, 301, 400, 401, 404, 500, 503])
    const path = pick(paths).replace("{id}", String(Math.floor(rnd() * 100_000))).replace("{q}", `${pick(words)}+${pick(words)}`)
    const record: Record<string, unknown> = {
      timestamp: new Date(t).toISOString(),
      level: status >= 500 ? "error" : status >= 400 ? "warn" : "info",
      service: pick(services),
      host: `web-${String(Math.floor(rnd() * 12)).padStart(2, "0")}`,
      method: pick(methods),
      path,
      status,
      duration_ms: Math.round(rnd() * rnd() * 250_000) / 1000,
      bytes: Math.floor(rnd() * 20_000),
      remote_ip: `10.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`,
      user_agent: pick(agents),
      trace_id: hex(32),
      msg: status >= 500 ? "request failed" : "request served"
    }
    if (status >= 500) record.error = pick(errors)
    out.push(JSON.stringify(record))
  }
  return out
}
