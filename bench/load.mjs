/**
 * The load generator: one process per target, started by run.mjs (pinned to
 * its own core). Keeps `connections` keep-alive HTTP/1.1 connections busy,
 * one request in flight on each, for a warm-up and then a measured period,
 * and prints the measured period's numbers as one JSON line on stdout (after
 * `{"phase":"measure"}` and `{"phase":"end"}` lines that frame that period).
 *
 *   node bench/load.mjs '<json config>'
 *
 * Config: { url, headers, connections, warmup, duration, timeout, modern }
 * (seconds). `modern: true` sends the MCP 2026-07-28 request (stateless: the
 * protocol version, client info and capabilities in `params._meta`; the
 * `mcp-method` / `mcp-name` headers come from `headers`) instead of the
 * 2025-era one.
 *
 * Why not autocannon: on one core autocannon tops out around the rate of a
 * bare fastify route, so the "ceiling" would measure the generator. This
 * client writes each request with one `socket.write` and reads the response
 * with a minimal HTTP/1.1 parser (Content-Length or chunked), about 2× as
 * much load per core.
 *
 * Each request is the echo `tools/call` with its own JSON-RPC id (MCP forbids
 * reusing an id within a session; the SDK routes responses by id and would
 * misdeliver duplicates). A response counts as correct when it is 2xx, names
 * that id, carries the echoed text and no error — for a modern request, when
 * it is exactly 200 and also says `"resultType":"complete"`; anything else is
 * counted (non2xx, mismatches, errors, timeouts).
 */
import { connect } from "node:net";
import { performance } from "node:perf_hooks";

const config = JSON.parse(process.argv[2] ?? "{}");
const { url, headers = {}, connections = 50, warmup = 3, duration = 10, timeout = 10, modern = false } = config;
if (!url) {
  console.error('usage: node bench/load.mjs \'{"url":"http://127.0.0.1:PORT/mcp","headers":{},...}\'');
  process.exit(2);
}
const target = new URL(url);
if (target.protocol !== "http:") throw new Error("only http: targets");
const port = Number(target.port || 80);
const host = target.hostname;

const PREFIX = '{"jsonrpc":"2.0","id":';
const META =
  ',"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' +
  '"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1.0.0"},' +
  '"io.modelcontextprotocol/clientCapabilities":{}}';
const SUFFIX = `,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}${modern ? META : ""}}}`;
const head =
  `POST ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\n` +
  Object.entries(headers)
    .filter(([k]) => !["host", "content-length", "connection"].includes(k.toLowerCase()))
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");

/** Response times of correct responses in the measured period (ms). */
class Samples {
  constructor() {
    this.values = new Float64Array(1 << 16);
    this.length = 0;
  }
  push(v) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }
  summary() {
    if (this.length === 0) return { mean: null, p50: null, p90: null, p99: null, max: null };
    const sorted = this.values.subarray(0, this.length).sort();
    const at = (p) => sorted[Math.min(this.length - 1, Math.max(0, Math.ceil((p / 100) * this.length) - 1))];
    let sum = 0;
    for (const v of sorted) sum += v;
    return { mean: sum / this.length, p50: at(50), p90: at(90), p99: at(99), max: sorted[this.length - 1] };
  }
}

const newStats = () => ({
  responses: 0,
  ok: 0,
  non2xx: 0,
  mismatches: 0,
  errors: 0,
  timeouts: 0,
  statusCodes: {},
  samples: new Samples(),
});

let stats = newStats();
let running = true;
let nextId = 1;
const conns = new Set();

const CRLFCRLF = Buffer.from("\r\n\r\n");

/** Parses one response at the start of `buf`: undefined until complete. */
function parseResponse(buf) {
  const end = buf.indexOf(CRLFCRLF);
  if (end === -1) return undefined;
  const headText = buf.toString("latin1", 0, end).toLowerCase();
  const status = Number(headText.slice(9, 12));
  const bodyStart = end + 4;
  const cl = headText.indexOf("\r\ncontent-length:");
  if (cl !== -1) {
    const lineEnd = headText.indexOf("\r\n", cl + 2);
    const length = Number.parseInt(headText.slice(cl + 17, lineEnd === -1 ? undefined : lineEnd), 10);
    if (buf.length < bodyStart + length) return undefined;
    return { status, headText, body: buf.toString("utf8", bodyStart, bodyStart + length), used: bodyStart + length };
  }
  if (headText.includes("\r\ntransfer-encoding: chunked")) {
    let pos = bodyStart;
    let body = "";
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", pos);
      if (lineEnd === -1) return undefined;
      const size = Number.parseInt(buf.toString("latin1", pos, lineEnd), 16);
      if (size === 0) {
        if (buf.length < lineEnd + 4) return undefined;
        return { status, headText, body, used: lineEnd + 4 };
      }
      if (buf.length < lineEnd + 2 + size + 2) return undefined;
      body += buf.toString("utf8", lineEnd + 2, lineEnd + 2 + size);
      pos = lineEnd + 2 + size + 2;
    }
  }
  // No length: a body-less status (204/304) or one that ends with the connection.
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { status, headText, body: "", used: bodyStart };
  }
  return undefined;
}

/** The echo result for request `id`: that id (first or last member), the text, no error. */
const isEchoOf = (body, id) =>
  (body.includes(`"id":${id},`) || body.endsWith(`"id":${id}}`)) &&
  body.includes('"text":"hello"') &&
  !body.includes('"error"') &&
  !body.includes('"isError":true');

/** The modern (2026-07-28) echo result: status 200, as above, and a complete result (no input request). */
const isModernEchoOf = (status, body, id) =>
  status === 200 && isEchoOf(body, id) && body.includes('"resultType":"complete"');

function openConnection() {
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  const conn = { socket, buf: Buffer.alloc(0), id: 0, sent: 0, timer: undefined, inflight: false, failed: false };
  conns.add(conn);

  const send = () => {
    if (!running) return;
    const id = nextId++;
    const body = PREFIX + id + SUFFIX;
    conn.id = id;
    conn.inflight = true;
    conn.sent = performance.now();
    conn.timer = setTimeout(() => {
      stats.timeouts++;
      conn.inflight = false;
      socket.destroy();
    }, timeout * 1000);
    socket.write(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };

  socket.on("connect", send);
  socket.on("data", (chunk) => {
    conn.buf = conn.buf.length === 0 ? chunk : Buffer.concat([conn.buf, chunk]);
    const res = parseResponse(conn.buf);
    if (!res) return;
    conn.buf = conn.buf.length === res.used ? Buffer.alloc(0) : conn.buf.subarray(res.used);
    clearTimeout(conn.timer);
    conn.inflight = false;
    const latency = performance.now() - conn.sent;
    stats.responses++;
    stats.statusCodes[res.status] = (stats.statusCodes[res.status] ?? 0) + 1;
    if (res.status < 200 || res.status >= 300) stats.non2xx++;
    else if (!(modern ? isModernEchoOf(res.status, res.body, conn.id) : isEchoOf(res.body, conn.id)))
      stats.mismatches++;
    else {
      stats.ok++;
      stats.samples.push(latency);
    }
    if (res.headText.includes("\r\nconnection: close")) socket.end();
    else send();
  });
  socket.on("error", () => {
    conn.failed = true;
  });
  socket.on("close", () => {
    clearTimeout(conn.timer);
    conns.delete(conn);
    if (conn.inflight || conn.failed) stats.errors++;
    // Keep the load up: a dropped connection is replaced.
    if (running) setTimeout(openConnection, 10);
  });
}

const summarize = (s, seconds) => ({
  duration: seconds,
  requests: s.responses,
  rps: s.responses / seconds,
  latency: s.samples.summary(),
  ok: s.ok,
  non2xx: s.non2xx,
  errors: s.errors,
  timeouts: s.timeouts,
  mismatches: s.mismatches,
  statusCodes: s.statusCodes,
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (let i = 0; i < connections; i++) openConnection();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    running = false;
    for (const c of conns) c.socket.destroy();
    process.exit(130);
  });
}

// run.mjs reads these phase lines to sample CPU use over the measured period.
const phase = (name) => process.stdout.write(`${JSON.stringify({ phase: name })}\n`);
let t0 = performance.now();
await sleep(warmup * 1000);
const warm = summarize(stats, (performance.now() - t0) / 1000);
stats = newStats();
phase("measure");
const cpu0 = process.cpuUsage();
t0 = performance.now();
await sleep(duration * 1000);
const measured = summarize(stats, (performance.now() - t0) / 1000);
const cpu = process.cpuUsage(cpu0);
measured.cpu = (cpu.user + cpu.system) / 1000 / (measured.duration * 1000);
phase("end");
running = false;
// Let in-flight requests finish (they are not counted), then hang up.
const deadline = performance.now() + timeout * 1000;
while ([...conns].some((c) => c.inflight) && performance.now() < deadline) await sleep(10);
for (const c of conns) c.socket.destroy();
process.stdout.write(`${JSON.stringify({ warmup: warm, measured })}\n`);
process.exit(0);
