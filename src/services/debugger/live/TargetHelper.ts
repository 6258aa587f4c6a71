/**
 * The code live capture installs in the target process (as source text, evaluated there once per
 * attach). It lives under a symbol on globalThis and does everything a probe hit needs without pausing
 * the target: per-probe and global token buckets (the algorithm of TokenBucket.ts, checked against it by
 * test), the user's condition, a capture of the frame's variables within the limits and the time budget
 * (values in the CaptureEvent `Value` model, cycle targets moved to a heap so the encoder marks the back
 * edges `circular reference`), the stack, and delivery through a CDP binding (`Runtime.addBinding`).
 *
 * The only pause is the first snapshot hit of a location: V8 cannot enumerate a frame's variables from
 * JavaScript, so the client reads their names from the paused frame's scopes once (`learn`), and from then
 * on the condition reads them itself through a direct `eval` in the frame's scope.
 *
 * Self-contained on purpose (no imports, no transpiler helpers): it is sent as text.
 */

/** The global symbol the helper lives under (`Symbol.for`). */
export const helperKey = "dd-agent-effect.live"

export interface HelperConfig {
  /** Name of the CDP binding that carries hits to the client. */
  readonly binding: string
  /** Capture time budget per hit, milliseconds. */
  readonly budgetMs: number
  readonly globalSnapshotsPerSecond: number
  readonly globalLogsPerSecond: number
}

/** What the helper needs to know of a probe (set with `set(index, …)`). */
export interface HelperProbe {
  readonly log: boolean
  readonly rate: number
  /** maxReferenceDepth, maxCollectionSize, maxFieldCount, maxLength. */
  readonly limits: readonly [number, number, number, number]
}

/**
 * The helper as a function expression taking (config, globalThis). Plain JavaScript, ES2022.
 * Payloads it emits (JSON through the binding):
 *   {k:"s", loc, p:[probe…], ts, vars:{name:Value}, heap, st:[[fn,file,line,col]…], us}
 *   {k:"l", p, ts, v:[[path, Value]…], heap, us}
 *   {k:"e", p, m}                      a condition or template that threw
 */
export const helperSource = String.raw`(function (cfg, g) {
  "use strict";
  var KEY = Symbol.for(${JSON.stringify(helperKey)});
  var emit = g[cfg.binding];
  var now = function () { return g.performance.now(); };
  var util = typeof g.process === "object" && typeof g.process.getBuiltinModule === "function"
    ? g.process.getBuiltinModule("node:util") : undefined;
  var isProxy = util && util.types && util.types.isProxy ? util.types.isProxy : function () { return false; };
  var probes = new Map();
  var buckets = new Map();
  var globalBuckets = { s: undefined, l: undefined };
  var learned = new Map();
  var pending = new Map();
  var errorsAt = new Map();

  // TokenBucket.takeToken: capacity max(1, rate), fractional refill, a missing bucket starts full.
  function takeToken(b, t, rate) {
    var cap = Math.max(1, rate);
    var from = b === undefined ? { tokens: cap, at: t } : b;
    var refilled = Math.min(cap, from.tokens + (Math.max(0, t - from.at) * rate) / 1000);
    return refilled >= 1 - 1e-9 ? [true, { tokens: Math.max(0, refilled - 1), at: t }] : [false, { tokens: refilled, at: t }];
  }
  function allow(i, p, t) {
    var kind = p.log ? "l" : "s";
    var rate = p.log ? cfg.globalLogsPerSecond : cfg.globalSnapshotsPerSecond;
    var own = takeToken(buckets.get(i), t, p.rate);
    if (!own[0]) { buckets.set(i, own[1]); return false; }
    var all = takeToken(globalBuckets[kind], t, rate);
    globalBuckets[kind] = all[1];
    if (!all[0]) return false;
    buckets.set(i, own[1]);
    return true;
  }
  function send(payload) {
    try { emit(JSON.stringify(payload)); } catch (e) { /* the client is gone */ }
  }
  function reportError(i, e) {
    var t = Date.now();
    var last = errorsAt.get(i);
    if (last !== undefined && t - last < 1000) return;
    errorsAt.set(i, t);
    var m;
    try { m = e instanceof Error ? e.name + ": " + e.message : String(e); } catch (x) { m = "error"; }
    send({ k: "e", p: i, m: m.slice(0, 1024) });
  }

  // ---- values in the CaptureEvent model ----
  function typeName(v) {
    if (v === null) return "null";
    var t = typeof v;
    if (t !== "object" && t !== "function") return t;
    try {
      var proto = Object.getPrototypeOf(v);
      if (proto === null) return "Object";
      var d = Object.getOwnPropertyDescriptor(proto, "constructor");
      var n = d && typeof d.value === "function" ? d.value.name : "";
      if (typeof n === "string" && n !== "") return n.slice(0, 256);
    } catch (e) { /* exotic object */ }
    return t === "function" ? "Function" : "Object";
  }
  function codePoints(s) {
    if (s.length > 1048576) return s.length;
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        var d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      n++;
    }
    return n;
  }
  function str(s, lim) {
    // Up to maxLength + 1 code points: the encoder cuts and says maxLength was the cause.
    var keep = 2 * lim[3] + 2;
    if (s.length <= keep) return { kind: "string", value: s };
    return { kind: "string", value: s.slice(0, keep), size: codePoints(s) };
  }
  function scalar(type, value) { return { kind: "scalar", type: type, value: value }; }
  function ser(v, depth, st) {
    var t = typeof v;
    if (t === "undefined") return { kind: "null", type: "undefined" };
    if (v === null) return { kind: "null", type: "null" };
    if (t === "boolean") return scalar("boolean", v);
    if (t === "number") return scalar("number", Number.isFinite(v) ? (Object.is(v, -0) ? "-0" : v) : String(v));
    if (t === "bigint") return scalar("bigint", String(v));
    if (t === "string") return str(v, st.lim);
    if (t === "symbol") return scalar("symbol", String(v).slice(0, 4096));
    if (isProxy(v)) return { kind: "unavailable", type: "Proxy", reason: "unimplemented", detail: "proxies are not inspected" };
    var type = typeName(v);
    if (st.n++ % 16 === 0 && now() > st.deadline) st.late = true;
    if (st.late) return { kind: "unavailable", type: type, reason: "timeout" };
    var onPath = st.path.get(v);
    if (onPath !== undefined) { onPath.cyc = true; return { kind: "pointer", type: type, address: onPath.addr }; }
    if (v instanceof Date) return scalar(type, isNaN(v.getTime()) ? "Invalid Date" : v.toISOString());
    if (v instanceof RegExp) return scalar(type, String(v).slice(0, 4096));
    var lim = st.lim;
    var deep = depth >= lim[0];
    var entry = { addr: "0x" + (++st.ids).toString(16), cyc: false };
    st.path.set(v, entry);
    var node;
    try { node = compound(v, type, depth, deep, st); }
    catch (e) { node = { kind: "unavailable", type: type, reason: "unavailable", detail: String(e && e.message).slice(0, 256) }; }
    finally { st.path.delete(v); }
    if (!entry.cyc) return node;
    st.heap[entry.addr] = node;
    return { kind: "pointer", type: type, address: entry.addr };
  }
  function compound(v, type, depth, deep, st) {
    var lim = st.lim;
    if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
      var len = v.length;
      if (deep) return { kind: "array", type: type, elements: [], length: len };
      var els = [];
      for (var i = 0; i < len && i < lim[1]; i++) els.push(ser(v[i], depth + 1, st));
      return { kind: "array", type: type, elements: els, length: len };
    }
    if (v instanceof Map) {
      var ms = Map.prototype.__lookupGetter__("size").call(v);
      if (deep) return { kind: "map", type: type, entries: [], length: ms };
      var ents = [];
      var it = Map.prototype.entries.call(v);
      for (var e = it.next(); !e.done && ents.length < lim[1]; e = it.next()) {
        ents.push([ser(e.value[0], depth + 1, st), ser(e.value[1], depth + 1, st)]);
      }
      return { kind: "map", type: type, entries: ents, length: ms };
    }
    if (v instanceof Set) {
      var ss = Set.prototype.__lookupGetter__("size").call(v);
      if (deep) return { kind: "array", type: type, elements: [], length: ss };
      var sel = [];
      var sit = Set.prototype.values.call(v);
      for (var s = sit.next(); !s.done && sel.length < lim[1]; s = sit.next()) sel.push(ser(s.value, depth + 1, st));
      return { kind: "array", type: type, elements: sel, length: ss };
    }
    if (v instanceof WeakMap || v instanceof WeakSet || (typeof WeakRef === "function" && v instanceof WeakRef)) {
      return { kind: "unavailable", type: type, reason: "unimplemented", detail: "weak collections cannot be enumerated" };
    }
    if (deep) return { kind: "struct", type: type, fields: [] };
    var keys = Reflect.ownKeys(v);
    var fields = [];
    var seen = new Set();
    var isError = v instanceof Error;
    if (isError) {
      // message and stack are read directly: V8 keeps stack as an accessor it owns.
      var msg = Object.getOwnPropertyDescriptor(v, "message");
      fields.push(["message", msg && "value" in msg ? ser(msg.value, depth + 1, st) : ser(undefined, depth + 1, st)]);
      var stack;
      try { stack = v.stack; } catch (x) { stack = undefined; }
      fields.push(["stack", ser(stack, depth + 1, st)]);
      seen.add("message"); seen.add("stack");
    }
    var total = fields.length;
    for (var k = 0; k < keys.length; k++) {
      var key = keys[k];
      var name = typeof key === "symbol" ? String(key) : key;
      if (seen.has(name)) continue;
      seen.add(name);
      total++;
      if (fields.length >= lim[2]) continue;
      var d = Object.getOwnPropertyDescriptor(v, key);
      if (d === undefined) { total--; continue; }
      if ("value" in d) fields.push([name.slice(0, 1024), ser(d.value, depth + 1, st)]);
      else {
        var kind = d.get && d.set ? "getter/setter" : d.get ? "getter" : "setter";
        fields.push([name.slice(0, 1024), { kind: "unavailable", type: kind, reason: "unavailable", detail: "accessors are not invoked" }]);
      }
    }
    return { kind: "struct", type: type, fields: fields, fieldCount: total };
  }
  function state(p, t0) {
    return { lim: p.limits, deadline: t0 + cfg.budgetMs, path: new Map(), heap: {}, ids: 0, n: 0, late: false };
  }
  function guarded(f) {
    try { return { ok: true, v: f() }; } catch (e) { return { ok: false, e: e }; }
  }

  function stack(skip) {
    var prep = Error.prepareStackTrace, limit = Error.stackTraceLimit;
    var holder = {};
    try {
      Error.stackTraceLimit = 48;
      Error.prepareStackTrace = function (_, cs) { return cs; };
      Error.captureStackTrace(holder, skip);
      var cs = holder.stack;
    } finally {
      Error.prepareStackTrace = prep;
      Error.stackTraceLimit = limit;
    }
    var out = [];
    if (!Array.isArray(cs)) return out;
    for (var i = 0; i < cs.length; i++) {
      var c = cs[i];
      var file = c.getFileName();
      // The condition and the eval that reads the frame come first and have no file.
      if (out.length === 0 && (!file || c.isEval())) continue;
      out.push([String(c.getFunctionName() || ""), String(file || ""), c.getLineNumber() || 0, c.getColumnNumber() || 0]);
    }
    return out;
  }

  function snapshot(loc, indexes, self, ev, t0, skip) {
    var p = probes.get(indexes[0]);
    var st = state(p, t0);
    var vars = {};
    var src = learned.get(loc);
    var read = ev(src.code)(guarded);
    for (var i = 0; i < src.names.length; i++) {
      var r = read[i];
      vars[src.names[i]] = r.ok ? ser(r.v, 0, st)
        : { kind: "unavailable", reason: "unavailable", detail: String(r.e && r.e.message).slice(0, 256) };
    }
    if (self !== null && (typeof self === "object" || typeof self === "function") && self !== g) vars["this"] = ser(self, 0, st);
    send({ k: "s", loc: loc, p: indexes, ts: Date.now(), vars: vars, heap: st.heap, st: stack(skip),
      us: Math.round((now() - t0) * 1000) });
  }

  function log(i, p, paths, t0) {
    var st = state(p, t0);
    var vals = [];
    for (var j = 0; j < paths.length; j++) {
      var r = guarded(paths[j]);
      vals.push(r.ok ? ser(r.v, 0, st)
        : { kind: "unavailable", reason: "unavailable", detail: String(r.e && r.e.message).slice(0, 256) });
    }
    send({ k: "l", p: i, ts: Date.now(), v: vals, heap: st.heap, us: Math.round((now() - t0) * 1000) });
  }

  var h = {
    takeToken: takeToken,
    set: function (i, p) { probes.set(i, p); buckets.delete(i); return true; },
    del: function (i) { probes.delete(i); buckets.delete(i); errorsAt.delete(i); return true; },
    forget: function (loc) { learned.delete(loc); pending.delete(loc); return true; },
    // checks: [[probe, condition | 0, [path closures] | 0], …]. true = pause (the names are not known yet).
    hit: function hit(loc, self, ev, checks) {
      var t0 = now(), t = Date.now(), snaps = null;
      for (var c = 0; c < checks.length; c++) {
        var chk = checks[c], i = chk[0], p = probes.get(i);
        if (p === undefined) continue;
        if (chk[1] !== 0) {
          var r = guarded(chk[1]);
          if (!r.ok) { reportError(i, r.e); continue; }
          if (!r.v) continue;
        }
        if (!allow(i, p, t)) continue;
        if (p.log) {
          try { log(i, p, chk[2] === 0 ? [] : chk[2], t0); } catch (e) { reportError(i, e); }
        } else (snaps || (snaps = [])).push(i);
      }
      if (snaps === null) return false;
      if (!learned.has(loc)) { pending.set(loc, snaps); return true; }
      try { snapshot(loc, snaps, self, ev, t0, hit); } catch (e) { reportError(snaps[0], e); }
      return false;
    },
    // Called on the paused frame of the first hit: remember the names, capture what was pending.
    learn: function learn(loc, names, self, ev) {
      var code = "(function ($dd$t) { return [" + names.map(function (n) { return "$dd$t(() => " + n + ")"; }).join(",") + "]; })";
      learned.set(loc, { names: names, code: code });
      var snaps = pending.get(loc);
      pending.delete(loc);
      if (snaps !== undefined) {
        try { snapshot(loc, snaps, self, ev, now(), learn); } catch (e) { reportError(snaps[0], e); }
      }
      return true;
    },
    close: function () {
      try { delete g[cfg.binding]; } catch (e) { /* not ours to remove */ }
      if (g[KEY] === h) delete g[KEY];
      return true;
    }
  };
  var old = g[KEY];
  if (old && typeof old.close === "function") old.close();
  Object.defineProperty(g, KEY, { value: h, configurable: true, enumerable: false, writable: true });
  return true;
})`

/** The expression that installs the helper (replacing one left by an earlier client). */
export const installExpression = (config: HelperConfig): string =>
  `${helperSource}(${JSON.stringify(config)}, globalThis)`

const helperRef = `globalThis[Symbol.for(${JSON.stringify(helperKey)})]`

/** An expression calling a helper method; undefined when the helper is gone. */
export const helperCall = (method: "set" | "del" | "forget" | "close", ...args: ReadonlyArray<unknown>): string =>
  `(($dd$h) => $dd$h === undefined ? false : $dd$h.${method}(${args.map((a) => JSON.stringify(a)).join(", ")}))(${helperRef})`

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** Frame variable names usable in the read-back code: identifiers, not the helper's own. */
export const usableNames = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const n of names) {
    if (identifier.test(n) && !n.startsWith("$dd$") && n !== "this" && !out.includes(n)) out.push(n)
  }
  return out
}

/** The expression evaluated on the paused frame of a location's first hit. */
export const learnExpression = (loc: number, names: ReadonlyArray<string>): string =>
  `(($dd$h) => $dd$h !== undefined && $dd$h.learn(${loc}, ${JSON.stringify(usableNames(names))}, this, ($dd$s) => eval($dd$s)))(${helperRef})`

export interface ConditionProbe {
  readonly index: number
  readonly condition?: string | undefined
  /** Template variable paths for a log probe. */
  readonly paths?: ReadonlyArray<string> | undefined
}

/**
 * The V8 breakpoint condition of one location carrying these probes. It is true only when a snapshot
 * must pause to learn the frame's variable names; otherwise the helper did the work and it is false.
 * User conditions are wrapped in an arrow (so `this` is the frame's) and end with a newline so a
 * trailing `//` comment cannot swallow the rest.
 */
export const breakpointCondition = (loc: number, probes: ReadonlyArray<ConditionProbe>): string => {
  const checks = probes.map((p) => {
    const cond = p.condition === undefined ? "0" : `() => (${p.condition}\n)`
    const paths = p.paths === undefined ? "0" : `[${p.paths.map((x) => `() => (${x})`).join(", ")}]`
    return `[${p.index}, ${cond}, ${paths}]`
  })
  return `(($dd$h) => $dd$h !== undefined && $dd$h.hit(${loc}, this, ($dd$s) => eval($dd$s), [${checks.join(", ")}]))(${helperRef})`
}
