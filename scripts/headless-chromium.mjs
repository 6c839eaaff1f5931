// Headless Chromium for the browser logins (tests/oauth/browser.test.ts and
// the conformance authorization run): Debian's /usr/bin/chromium (or
// $CHROMIUM) driven by playwright-core, started with the flags this closed
// network needs (no background connections, no QUIC). Missing Chromium is an
// error with an install hint, never a skip.
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why Chromium cannot be started, or undefined when it can. */
export function chromiumProblem() {
  if (existsSync(CHROMIUM)) return undefined;
  return (
    `${CHROMIUM} is missing, and the browser logins need it: install it (Debian/Ubuntu: ` +
    "sudo apt-get install -y chromium; .ci/run does this in CI), or set CHROMIUM"
  );
}

/** Starts headless Chromium; throws with the install hint when it is missing. */
export async function launchHeadlessChromium() {
  const problem = chromiumProblem();
  if (problem !== undefined) throw new Error(problem);
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}
