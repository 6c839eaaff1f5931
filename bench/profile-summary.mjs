/**
 * Summarizes a V8 CPU profile (as written by `node bench/run.mjs --cpu-prof`):
 * self time by function, and by where the code lives (our packages, each
 * dependency, Node internals, GC); then inclusive time of the framework's and
 * its libraries' functions.
 *
 *   node bench/profile-summary.mjs bench/results/profiles/ours-session-1.cpuprofile [top=25]
 */
import { readFileSync } from "node:fs";

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-summary.mjs <file.cpuprofile> [top]");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8"));

// Time per sample: the gap to the next one.
const selfMicros = new Map();
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) {
  const dt = timeDeltas[i + 1] ?? 0;
  selfMicros.set(samples[i], (selfMicros.get(samples[i]) ?? 0) + dt);
}

const where = (url) => {
  if (!url) return "(native / V8)";
  if (url.startsWith("node:")) return "node internals";
  const nm = url.lastIndexOf("/node_modules/");
  if (nm !== -1) {
    const rest = url.slice(nm + 14).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/(packages|examples|bench)\/([^/]+)\//.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
};
const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "~/")
    .replace(/^.*\/work\/main\//, "");

const byFunction = new Map();
const byPlace = new Map();
let total = 0;
for (const node of profile.nodes) {
  const t = selfMicros.get(node.id) ?? 0;
  if (t === 0) continue;
  total += t;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || "(anonymous)"}  ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ""}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + t);
  const place = ["(garbage collector)", "(idle)", "(program)"].includes(functionName) ? functionName : where(url);
  byPlace.set(place, (byPlace.get(place) ?? 0) + t);
}

// Inclusive time (self + callees) by function, counting a recursive function once.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const keyOf = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || "(anonymous)"}  ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ""}`;
};
const inclusive = new Map();
const onStack = new Map();
const subtree = (id) => {
  const node = byId.get(id);
  const key = keyOf(node);
  onStack.set(key, (onStack.get(key) ?? 0) + 1);
  let t = selfMicros.get(id) ?? 0;
  for (const child of node.children ?? []) t += subtree(child);
  onStack.set(key, onStack.get(key) - 1);
  if (onStack.get(key) === 0) inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  return t;
};
subtree(profile.nodes[0].id);

const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n`);
console.log("self time by place:");
for (const [k, t] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(t)}  ${k}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [k, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)}  ${k}`);
const ours = (k) =>
  /packages\/|bench\/|~\/(fastify|pino|zod|find-my-way|@modelcontextprotocol|hono|@hono|express)/.test(k);
console.log(`\ntop ${top} functions of the framework and its libraries by inclusive time (self + callees):`);
for (const [k, t] of [...inclusive]
  .filter(([k]) => ours(k))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top))
  console.log(`  ${pct(t)}  ${k}`);
