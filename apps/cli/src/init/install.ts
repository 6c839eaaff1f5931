/** `npm install` in the new project, with a progress line while it runs. */
import { CliError } from "../errors.js";
import type { Output } from "../output.js";
import { runNpm, tail } from "./framework.js";

/** Flags that keep installs fast: the npm cache first, no audit or funding requests. */
export const INSTALL_ARGS = ["install", "--prefer-offline", "--no-audit", "--no-fund"] as const;

export async function installDependencies(dir: string, out: Output): Promise<void> {
  const done = out.progress(`Installing dependencies (npm ${INSTALL_ARGS.join(" ")})`);
  const result = await runNpm(INSTALL_ARGS, { cwd: dir });
  if (result.code !== 0) {
    done(out.red("✖ npm install failed"));
    throw new CliError(
      `npm install failed (exit code ${result.code}):\n${tail(`${result.stdout}\n${result.stderr}`)}`,
      `the project is written; fix the problem above, then run \`npm install\` in ${dir}`,
    );
  }
  // "added 192 packages in 18s": the time is shown by the progress line already.
  const summary = /^(added|up to date|changed|removed)\b.*$/m.exec(result.stdout)?.[0]?.replace(/ in [\d.]+m?s$/, "");
  done(`${out.green("✔")} Installed dependencies${summary ? `: ${summary}` : ""}`);
}
