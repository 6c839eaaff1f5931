/**
 * The HTTP benchmark: MCP `tools/call` of the `echo` tool on 127.0.0.1,
 * against six targets measured in one run, each in its own process:
 *
 *   ours-session    examples/everything, 2025-11-25 with a session
 *   ours-stateless  examples/everything, STATELESS=1, 2025-11-25 without one
 *   ours-modern     examples/everything, 2026-07-28 (stateless, no handshake)
 *   sdk             the official SDK 1.x, 2025-11-25 with a session (bench/peers/sdk-server.mjs)
 *   sdk2            the official SDK 2.x, 2026-07-28 (bench/peers/sdk2-server.mjs)
 *   ceiling         a bare fastify route (bench/peers/ceiling.mjs)
 *
 * The server runs on core 0 and the load generator (bench/load.mjs) on core 1
 * when `taskset` exists. Writes bench/results/latest.json and latest.md and
 * prints the table. Exits non-zero only when a target failed or answered
 * with errors; missing the performance goals is reported, not fatal.
 *
 *   npm run bench                      (builds first)
 *   node bench/run.mjs [--duration=10] [--warmup=3] [--connections=50]
 *                      [--rounds=1] [--quiet-wait=30] [--targets=ours-session,sdk]
 *                      [--cpu-prof] [--ours=examples/everything/dist/main.js]
 *
 * The same settings by env: BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS,
 * BENCH_ROUNDS, BENCH_QUIET_WAIT, BENCH_TARGETS, BENCH_CPU_PROF=1, BENCH_OURS.
 *
 * Before each target it waits up to --quiet-wait seconds for other programs
 * to leave the machine idle (0: don't wait). With several rounds the targets
 * take turns and each keeps its best round (other programs only ever slow a
 * run down). --ours measures another build of the everything server (e.g. a
 * patched copy). --cpu-prof writes the servers' V8 CPU profiles to
 * bench/results/profiles/ (see bench/profile-summary.mjs).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, "..");
const RESULTS = join(BENCH, "results");
const PROFILES = join(RESULTS, "profiles");
const HOST = "127.0.0.1";
const PROTOCOL_VERSION = "2025-11-25";
const MODERN_VERSION = "2026-07-28";
/** The issue's goals: legacy ours ≥ 0.7× ceiling and ≥ 5× SDK 1.x; modern ours ≥ 0.7× ceiling. */
const LEGACY_GOALS = { vsCeiling: 0.7, vsSdk: 5 };
const MODERN_GOALS = { vsCeiling: 0.7 };
/** Cores used by other programs during a measured period above which a result is marked noisy. */
const NOISY = 0.25;

// ---------------------------------------------------------------- settings

function setting(flag, env, fallback) {
  const arg = process.argv.slice(2).find((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  if (arg !== undefined) return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : "1";
  return process.env[env] ?? fallback;
}

const FLAGS = ["duration", "warmup", "connections", "rounds", "quiet-wait", "targets", "cpu-prof", "ours", "help"];
for (const arg of process.argv.slice(2)) {
  const name = arg.replace(/^--?/, "").split("=")[0];
  if (!FLAGS.includes(name) && arg !== "-h") {
    console.error(`bench: unknown option ${arg} (known: ${FLAGS.map((f) => `--${f}`).join(" ")})`);
    process.exit(2);
  }
}

function number(name, value, min) {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) {
    console.error(`bench: ${name} must be a number ≥ ${min}, got ${value}`);
    process.exit(2);
  }
  return n;
}

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  const doc = readFileSync(fileURLToPath(import.meta.url), "utf8");
  console.log(doc.slice(doc.indexOf("/**") + 3, doc.indexOf("*/")).replace(/^ \* ?/gm, ""));
  process.exit(0);
}

const settings = {
  duration: number("duration", setting("duration", "BENCH_DURATION", "10"), 0.5),
  warmup: number("warmup", setting("warmup", "BENCH_WARMUP", "3"), 0),
  connections: Math.floor(number("connections", setting("connections", "BENCH_CONNECTIONS", "50"), 1)),
  rounds: Math.floor(number("rounds", setting("rounds", "BENCH_ROUNDS", "1"), 1)),
  quietWait: number("quiet-wait", setting("quiet-wait", "BENCH_QUIET_WAIT", "30"), 0),
  cpuProf: ["1", "true"].includes(setting("cpu-prof", "BENCH_CPU_PROF", "0")),
};
const onlyTargets = setting("targets", "BENCH_TARGETS", "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

// ---------------------------------------------------------------- targets

const OURS = resolve(ROOT, setting("ours", "BENCH_OURS", "examples/everything/dist/main.js"));

/**
 * `modern`: the 2026-07-28 request (no handshake, no session; its version in
 * `params._meta`), else the 2025-11-25 one (`session`: after an initialize
 * handshake, with its Mcp-Session-Id). `goals`: the issue's, for our targets.
 */
const TARGETS = [
  {
    name: "ours-session",
    label: "chuk-mcp (session)",
    script: OURS,
    env: {},
    session: true,
    ours: true,
    goals: LEGACY_GOALS,
  },
  {
    name: "ours-stateless",
    label: "chuk-mcp (stateless)",
    script: OURS,
    env: { STATELESS: "1" },
    session: false,
    ours: true,
    goals: LEGACY_GOALS,
  },
  {
    // The server as it ships (no STATELESS): modern requests are stateless whatever the mode.
    name: "ours-modern",
    label: "chuk-mcp (modern)",
    script: OURS,
    env: {},
    session: false,
    modern: true,
    ours: true,
    goals: MODERN_GOALS,
  },
  {
    name: "sdk",
    label: "official SDK 1.x",
    script: join(BENCH, "peers/sdk-server.mjs"),
    env: {},
    session: true,
  },
  {
    name: "sdk2",
    label: "official SDK 2.x",
    script: join(BENCH, "peers/sdk2-server.mjs"),
    env: {},
    session: false,
    modern: true,
  },
  {
    name: "ceiling",
    label: "ceiling (bare fastify)",
    script: join(BENCH, "peers/ceiling.mjs"),
    env: {},
    session: false,
  },
  {
    // The same bare route for the 2026-07-28 request and answer (more bytes
    // each way): the like-for-like ceiling of the modern targets.
    name: "ceiling-modern",
    label: "ceiling (bare fastify, 2026-07-28 bytes)",
    script: join(BENCH, "peers/ceiling.mjs"),
    env: { CEILING_MODERN: "1" },
    session: false,
    modern: true,
  },
];

// ---------------------------------------------------------------- processes

/** Every child still running, so that exit and Ctrl-C can end them. */
const children = new Set();

const hasTaskset = spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
const coreCount = os.cpus().length;
const pinning = hasTaskset && coreCount >= 2;

/** Spawns `node args…`, pinned to `core` when taskset is usable; output kept (the tail) for error reports. */
function startNode(args, { core, env = {}, captureStdout = false, onLine }) {
  const [cmd, argv] = pinning ? ["taskset", ["-c", String(core), process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (d) => {
    if (!captureStdout) {
      stderr = (stderr + d).slice(-8192);
      return;
    }
    stdout += d;
    if (!onLine) return;
    const lines = (partial + d).split("\n");
    partial = lines.pop();
    for (const line of lines) onLine(line);
  });
  child.stderr.setEncoding("utf8").on("data", (d) => {
    stderr = (stderr + d).slice(-8192);
  });
  const exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.on("error", (err) => {
      children.delete(child);
      stderr += String(err);
      resolve({ code: -1, signal: null });
    });
  });
  return {
    child,
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

/** SIGTERM, then SIGKILL if it lingers. */
async function stop(proc, graceMs = 5000) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.exited;
  proc.child.kill("SIGTERM");
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), graceMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}

function killAll() {
  for (const child of children) child.kill("SIGKILL");
}

process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, stopping`);
    killAll();
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const canConnect = (port) =>
  new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

async function waitForPort(port, proc, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`exited with code ${proc.child.exitCode} before listening`);
    if (await canConnect(port)) return;
    await sleep(50);
  }
  throw new Error(`not listening on ${HOST}:${port} after ${timeoutMs} ms`);
}

// ---------------------------------------------------------------- CPU use

const HAS_PROC = existsSync("/proc/stat");
const TICKS = 100; // USER_HZ: clock ticks per second in /proc, 100 on Linux

/** Busy ticks of each core (cpu0, cpu1, …) from /proc/stat. */
function coreTicks() {
  if (!HAS_PROC) return undefined;
  const busy = [];
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    const f = m[2].trim().split(/\s+/).map(Number);
    busy[Number(m[1])] = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
  }
  return busy;
}

/** user + system ticks of one process (all its threads). */
function processTicks(pid) {
  if (!HAS_PROC) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function cpuSnapshot(serverPid) {
  return { at: performance.now(), cores: coreTicks(), server: serverPid && processTicks(serverPid) };
}

/**
 * CPU use over the measured period, in cores (1 = one core fully busy):
 * the server's, each core's, and everything else's — other programs on the
 * machine, which make the numbers noisy. The load generator reports its own.
 */
function cpuUse(a, b, loadGenerator) {
  if (!a?.cores || !b?.cores) return undefined;
  const seconds = (b.at - a.at) / 1000;
  const per = (x, y) => (x === undefined || y === undefined ? undefined : round((y - x) / TICKS / seconds, 2));
  const cores = b.cores.map((t, i) => per(a.cores[i], t));
  const server = per(a.server, b.server);
  const total = cores.reduce((sum, c) => sum + (c ?? 0), 0);
  const other = server === undefined ? undefined : round(Math.max(0, total - server - (loadGenerator ?? 0)), 2);
  return { server, loadGenerator: round(loadGenerator, 2), cores, other };
}

/**
 * Waits (up to `maxSeconds`) until other programs leave the machine nearly
 * idle, so that a target does not start in the middle of someone's build.
 * Resolves to the cores they were still using when it gave up, else 0.
 */
async function waitForQuiet(maxSeconds) {
  if (!HAS_PROC || maxSeconds <= 0) return 0;
  const deadline = performance.now() + maxSeconds * 1000;
  let announced = false;
  for (;;) {
    const a = cpuSnapshot();
    await sleep(1000);
    const busy = cpuUse(a, cpuSnapshot()).cores.reduce((sum, c) => sum + (c ?? 0), 0);
    if (busy <= NOISY) return 0;
    if (performance.now() >= deadline) return round(busy, 2);
    if (!announced) {
      process.stderr.write(`bench: other programs are using ${round(busy, 2)} cores; waiting up to ${maxSeconds} s…\n`);
      announced = true;
    }
  }
}

// ---------------------------------------------------------------- MCP setup

const baseHeaders = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": PROTOCOL_VERSION,
};

/** A 2026-07-28 request: its version header plus the method and name it calls (the body says the same). */
const modernHeaders = {
  ...baseHeaders,
  "mcp-protocol-version": MODERN_VERSION,
  "mcp-method": "tools/call",
  "mcp-name": "echo",
};
const SERVER_INFO = "io.modelcontextprotocol/serverInfo";
/** What a modern request carries in params._meta (load.mjs sends the same). */
const modernMeta = {
  "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
  "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

async function post(url, headers, body) {
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { res, text };
}

/** initialize + notifications/initialized: the headers every load request then carries. */
async function openSession(url) {
  const { "mcp-protocol-version": _, ...initHeaders } = baseHeaders;
  const { res, text } = await post(url, initHeaders, {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "chuk-mcp-bench", version: "0.0.0" },
    },
  });
  if (res.status !== 200) throw new Error(`initialize answered ${res.status}: ${text.slice(0, 300)}`);
  const sessionId = res.headers.get("mcp-session-id");
  if (!sessionId) throw new Error("initialize answered without an Mcp-Session-Id header");
  const headers = { ...baseHeaders, "mcp-session-id": sessionId };
  const ack = await post(url, headers, { jsonrpc: "2.0", method: "notifications/initialized" });
  if (ack.res.status !== 202) throw new Error(`notifications/initialized answered ${ack.res.status}: ${ack.text}`);
  return headers;
}

/**
 * One echo call, checked in full (status, content type, the whole JSON-RPC
 * response). A modern answer must also say `resultType: "complete"` and name
 * the server in `_meta` (any name and version; nothing else in `_meta`).
 */
async function checkEcho(url, headers, modern) {
  const id = 424242;
  const params = { name: "echo", arguments: { text: "hello" } };
  if (modern) params._meta = modernMeta;
  const { res, text } = await post(url, headers, { jsonrpc: "2.0", id, method: "tools/call", params });
  if (res.status !== 200) throw new Error(`tools/call answered ${res.status}: ${text.slice(0, 300)}`);
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json")) throw new Error(`tools/call answered with content-type ${type}`);
  const body = JSON.parse(text);
  const expected = { jsonrpc: "2.0", id, result: { content: [{ type: "text", text: "hello" }] } };
  if (modern) {
    const info = body?.result?._meta?.[SERVER_INFO];
    if (typeof info?.name !== "string" || typeof info?.version !== "string") {
      throw new Error(`tools/call answered without _meta["${SERVER_INFO}"]: ${text.slice(0, 300)}`);
    }
    Object.assign(expected.result, { resultType: "complete", _meta: { [SERVER_INFO]: info } });
  }
  if (JSON.stringify(sortKeys(body)) !== JSON.stringify(sortKeys(expected))) {
    throw new Error(`tools/call answered ${text.slice(0, 300)}`);
  }
  return text;
}

const sortKeys = (v) =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v && typeof v === "object"
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortKeys(v[k])]),
        )
      : v;

// ---------------------------------------------------------------- one target

/** The request a target is measured with, as the table shows it. */
const requestOf = (t) => (t.modern ? MODERN_VERSION : t.session ? `${PROTOCOL_VERSION} session` : PROTOCOL_VERSION);

async function measure(target, roundNo) {
  const port = await freePort();
  const url = `http://${HOST}:${port}/mcp`;
  const nodeArgs = settings.cpuProf
    ? ["--cpu-prof", `--cpu-prof-dir=${PROFILES}`, `--cpu-prof-name=${target.name}-${roundNo}.cpuprofile`]
    : [];
  // examples/everything takes its port from PORT; the peers from their first argument.
  const server = startNode([...nodeArgs, target.script, String(port)], {
    core: 0,
    env: { ...target.env, PORT: String(port) },
  });
  const entry = { name: target.name, label: target.label, request: requestOf(target), ok: false };
  try {
    await waitForPort(port, server);
    const headers = target.modern ? { ...modernHeaders } : target.session ? await openSession(url) : { ...baseHeaders };
    entry.sample = await checkEcho(url, headers, target.modern);
    const of = settings.rounds > 1 ? ` (round ${roundNo}/${settings.rounds})` : "";
    process.stderr.write(
      `bench: ${target.name}${of}: ${settings.warmup} s warm-up + ${settings.duration} s at ${settings.connections} connections…\n`,
    );
    const config = {
      url,
      headers,
      connections: settings.connections,
      warmup: settings.warmup,
      duration: settings.duration,
      modern: Boolean(target.modern),
    };
    const snapshots = {};
    const loader = startNode([join(BENCH, "load.mjs"), JSON.stringify(config)], {
      core: 1,
      captureStdout: true,
      onLine: (line) => {
        if (line.startsWith('{"phase":')) snapshots[JSON.parse(line).phase] = cpuSnapshot(server.child.pid);
      },
    });
    const { code } = await loader.exited;
    if (code !== 0) throw new Error(`load generator exited with ${code}: ${loader.stderr.slice(-1000)}`);
    const { warmup, measured } = JSON.parse(loader.stdout.trim().split("\n").pop());
    entry.cpu = cpuUse(snapshots.measure, snapshots.end, measured.cpu);
    // The server's CPU time per request: steadier than req/s when other programs share the machine.
    if (entry.cpu?.server) entry.serverCpuUsPerRequest = round((entry.cpu.server * 1e6) / measured.rps, 1);
    if (server.child.exitCode !== null) throw new Error(`server exited during the run (code ${server.child.exitCode})`);
    const failures = measured.non2xx + measured.errors + measured.timeouts + measured.mismatches;
    Object.assign(entry, {
      ok: failures === 0,
      rps: round(measured.rps, 1),
      p50: round(measured.latency.p50, 3),
      p90: round(measured.latency.p90, 3),
      p99: round(measured.latency.p99, 3),
      meanLatency: round(measured.latency.mean, 3),
      requests: measured.requests,
      failures,
      non2xx: measured.non2xx,
      errors: measured.errors,
      timeouts: measured.timeouts,
      mismatches: measured.mismatches,
      statusCodes: measured.statusCodes,
      warmup: warmup && { rps: round(warmup.rps, 1), failures: warmup.non2xx + warmup.errors + warmup.mismatches },
    });
    if (failures > 0) entry.error = `${failures} failed responses (see non2xx/errors/timeouts/mismatches)`;
  } catch (err) {
    entry.error = err instanceof Error ? err.message : String(err);
    entry.serverOutput = server.stderr.slice(-2000);
  } finally {
    await stop(server);
  }
  return entry;
}

const round = (n, digits) => (typeof n === "number" ? Number(n.toFixed(digits)) : n);

// ---------------------------------------------------------------- report

const ratio = (a, b) => (a && b ? round(a / b, 2) : null);
const fmtRatio = (r) => (r === null || r === undefined ? "—" : `${r.toFixed(2)}×`);
const fmtNum = (n, digits = 0) =>
  typeof n === "number"
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "—";

/**
 * Ratios of each target's req/s: vs the ceiling (every target), vs SDK 1.x
 * (every target; for a modern one that crosses eras, the SDK 1.x peer serving
 * only 2025-era sessions), vs SDK 2.x (modern targets only: both measured with
 * the same 2026-07-28 request). Then the goals of our targets.
 */
function report(results) {
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const rpsOf = (name) => (by[name]?.ok ? by[name].rps : undefined);
  const [ceiling, ceilingModern, sdk, sdk2] = [rpsOf("ceiling"), rpsOf("ceiling-modern"), rpsOf("sdk"), rpsOf("sdk2")];
  for (const r of results) {
    const modern = TARGETS.find((t) => t.name === r.name)?.modern;
    // Like for like: a modern target against the ceiling that carries the same bytes.
    r.vsCeiling = r.ok ? ratio(r.rps, modern && ceilingModern !== undefined ? ceilingModern : ceiling) : null;
    r.vsLegacyCeiling = r.ok && modern ? ratio(r.rps, ceiling) : null;
    r.vsSdk = r.ok ? ratio(r.rps, sdk) : null;
    r.vsSdk2 = r.ok && modern ? ratio(r.rps, sdk2) : null;
  }
  const goals = [];
  // A ratio is only as good as both of its runs: name the noisy ones.
  const noisy = (...xs) => xs.filter((x) => x && (x.cpu?.other ?? 0) > NOISY).map((x) => x.name);
  const against = {
    vsCeiling: { name: "ceiling", what: "ceiling (same request)" },
    vsSdk: { name: "sdk", what: "SDK 1.x" },
    vsSdk2: { name: "sdk2", what: "SDK 2.x" },
  };
  for (const r of results) {
    const targetGoals = TARGETS.find((t) => t.name === r.name)?.goals ?? {};
    for (const [key, min] of Object.entries(targetGoals)) {
      goals.push({
        target: r.name,
        goal: `≥ ${min}× ${against[key].what}`,
        ratio: r[key],
        met: r[key] === null ? null : r[key] >= min,
        noisy: noisy(r, by[against[key].name]),
      });
    }
  }
  return { goals };
}

function markdown(meta, results, goals) {
  const lines = [
    "# Benchmark: MCP `tools/call` (echo) over HTTP",
    "",
    `${meta.date} · Node ${meta.node} · ${meta.cpu} (${meta.cores} cores) · load avg ${meta.loadavg[0]} · ` +
      `${meta.connections} connections · ${meta.warmup} s warm-up + ${meta.duration} s measured · ` +
      (meta.pinned ? "server on core 0, load generator on core 1 (taskset)" : `not pinned: ${meta.pinningNote}`),
    "",
    "| target | request | req/s | p50 ms | p99 ms | vs ceiling | vs SDK 1.x | vs SDK 2.x | errors | server CPU µs/req | CPU server / load / other |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const flag = r.ok ? ((r.cpu?.other ?? 0) > NOISY ? " (noisy)" : "") : " ⚠ FAILED";
    const cpu = r.cpu
      ? `${fmtNum(r.cpu.server, 2)} / ${fmtNum(r.cpu.loadGenerator, 2)} / ${fmtNum(r.cpu.other, 2)}`
      : "—";
    lines.push(
      `| ${r.label}${flag} | ${r.request} | ${fmtNum(r.rps)} | ${fmtNum(r.p50, 2)} | ${fmtNum(r.p99, 2)} | ${fmtRatio(r.vsCeiling)} | ${fmtRatio(r.vsSdk)} | ${fmtRatio(r.vsSdk2)} | ${r.ok ? 0 : (r.failures ?? "—")} | ${fmtNum(r.serverCpuUsPerRequest)} | ${cpu} |`,
    );
  }
  lines.push(
    "",
    "req/s and latencies of the measured period; ratios against the ceiling and the SDK peers measured in this run. " +
      `Request: the MCP revision of the echo call (${PROTOCOL_VERSION}, with a session where it says so; ` +
      `${MODERN_VERSION}: stateless, no handshake, its version in params._meta). ` +
      `vs ceiling: against the bare route carrying the same request and answer (the ${MODERN_VERSION} one is larger each way); ` +
      `vs SDK 2.x only for ${MODERN_VERSION} targets (both measured with the same request). ` +
      "Server CPU µs/req: the server's CPU time per request (steadier than req/s on a busy machine). " +
      "CPU in cores over the measured period: the server's (1.00 = its core saturated), the load generator's, " +
      `and other programs' (above ${NOISY}: marked noisy).` +
      (meta.rounds > 1 ? ` Best of ${meta.rounds} rounds per target.` : ""),
  );
  lines.push("", "Goals (from the issue):", "");
  for (const g of goals) {
    const verdict = g.met === null ? "n/a (a target failed)" : g.met ? "met" : "NOT met";
    const caveat = g.noisy.length ? ` (unreliable: ${g.noisy.join(", ")} ran while other programs were busy)` : "";
    lines.push(`- ${g.target}: ${fmtRatio(g.ratio)} — goal ${g.goal}: **${verdict}**${caveat}`);
  }
  for (const r of results) {
    const ours = TARGETS.find((t) => t.name === r.name)?.ours;
    if (ours && r.vsLegacyCeiling !== null && r.vsLegacyCeiling !== undefined) {
      lines.push(
        `- ${r.name} against the ${PROTOCOL_VERSION} ceiling (fewer bytes each way): ${fmtRatio(r.vsLegacyCeiling)}`,
      );
    }
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length) {
    lines.push("", "Failed targets:", "");
    for (const r of failed) lines.push(`- ${r.label}: ${r.error}`);
  }
  lines.push("");
  return lines.join("\n");
}

// ---------------------------------------------------------------- main

const missing = TARGETS.map((t) => t.script).filter((s) => !existsSync(s));
if (missing.length) {
  console.error(`bench: missing ${missing.map((m) => relative(ROOT, m)).join(", ")}: run \`npm run build\` first`);
  process.exit(2);
}
const selected = onlyTargets.length ? TARGETS.filter((t) => onlyTargets.includes(t.name)) : TARGETS;
if (selected.length === 0) {
  console.error(`bench: no target named ${onlyTargets.join(", ")}; known: ${TARGETS.map((t) => t.name).join(", ")}`);
  process.exit(2);
}

let pinningNote = "";
if (!hasTaskset) pinningNote = "taskset not found";
else if (coreCount < 2) pinningNote = `only ${coreCount} core`;
if (pinning) {
  // This process only orchestrates, but keep it off the server's core too.
  spawnSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
} else {
  console.error(`bench: WARNING: server and load generator are not pinned to separate cores (${pinningNote})`);
}
mkdirSync(RESULTS, { recursive: true });
if (settings.cpuProf) mkdirSync(PROFILES, { recursive: true });

const runs = new Map(selected.map((t) => [t.name, []]));
for (let roundNo = 1; roundNo <= settings.rounds; roundNo++) {
  for (const target of selected) {
    const busy = await waitForQuiet(settings.quietWait);
    if (busy) process.stderr.write(`bench: still ${busy} cores busy elsewhere; measuring anyway\n`);
    const entry = await measure(target, roundNo);
    runs.get(target.name).push(entry);
    if (!entry.ok) console.error(`bench: ${target.name}: ${entry.error}`);
    else if ((entry.cpu?.other ?? 0) > NOISY)
      console.error(`bench: ${target.name}: other programs used ${entry.cpu.other} cores meanwhile: noisy`);
    await sleep(500);
  }
}
// A target's result: its first failed round if any (errors must show), else its best round.
const results = selected.map((t) => {
  const all = runs.get(t.name);
  const chosen = all.find((r) => !r.ok) ?? all.reduce((best, r) => (r.rps > best.rps ? r : best));
  return all.length > 1 ? { ...chosen, rounds: all.map((r) => (r.ok ? r.rps : null)) } : chosen;
});

const { goals } = report(results);
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpu: os.cpus()[0]?.model?.trim() ?? "unknown",
  cores: coreCount,
  pinned: pinning,
  pinningNote: pinning ? undefined : pinningNote,
  loadavg: os.loadavg().map((n) => round(n, 2)),
  connections: settings.connections,
  warmup: settings.warmup,
  duration: settings.duration,
  rounds: settings.rounds,
  ours: relative(ROOT, OURS),
  loadGenerator: "bench/load.mjs: keep-alive HTTP/1.1, one request in flight per connection, unique JSON-RPC ids",
};
const json = {
  ...meta,
  targets: results,
  ratios: Object.fromEntries(
    results.map((r) => [r.name, { vsCeiling: r.vsCeiling, vsSdk: r.vsSdk, vsSdk2: r.vsSdk2 }]),
  ),
  goals,
};
const md = markdown(meta, results, goals);
writeFileSync(join(RESULTS, "latest.json"), `${JSON.stringify(json, null, 2)}\n`);
writeFileSync(join(RESULTS, "latest.md"), md);
console.log(`\n${md}`);
console.log(`Written: ${relative(ROOT, join(RESULTS, "latest.json"))}, ${relative(ROOT, join(RESULTS, "latest.md"))}`);
if (settings.cpuProf) console.log(`CPU profiles: ${relative(ROOT, PROFILES)}/<target>.cpuprofile`);

const failed = results.filter((r) => !r.ok);
process.exit(failed.length ? 1 : 0);
