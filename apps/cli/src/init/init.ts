/**
 * `chuk-mcp init <name>`: checks the name, the template and the target
 * folder, writes the project, provides the chuk-mcp packages (packed from this
 * checkout into vendor/, or registry versions), installs, and prints the next
 * steps.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, stat } from "node:fs/promises";
import { basename, relative, resolve } from "node:path";
import { CliError } from "../errors.js";
import type { Output } from "../output.js";
import { checkSource, chooseSource, type FrameworkSource, provideFramework } from "./framework.js";
import { installDependencies } from "./install.js";
import { checkProjectName } from "./name.js";
import { projectManifest, writeProject } from "./scaffold.js";
import { DEFAULT_TEMPLATE, findTemplate, TEMPLATES, type Template } from "./templates.js";

export interface InitOptions {
  template?: string;
  /** Where to create the project (default `./<name without its scope>`). */
  dir?: string;
  /** `false` skips `npm install`. */
  install?: boolean;
  /** Depend on the chuk-mcp packages of the npm registry instead of this checkout's. */
  registryVersions?: boolean;
  /** A folder of chuk-mcp tarballs (`npm pack`) to use instead of packing this checkout. */
  packages?: string;
  /** The folder relative paths are resolved against (default `process.cwd()`). */
  cwd?: string;
}

export interface InitResult {
  dir: string;
  template: Template;
  source: FrameworkSource;
  files: string[];
  installed: boolean;
}

/** Entries that do not make a folder "not empty". */
const HARMLESS = new Set([".git", ".DS_Store", "Thumbs.db"]);

export async function init(name: string, options: InitOptions, out: Output): Promise<InitResult> {
  const check = checkProjectName(name);
  if (!check.ok) {
    throw new CliError(
      `"${name}" is not a valid project name: ${check.problems.join("; ")}`,
      "use an npm package name: lowercase letters, digits and dashes, e.g. my-mcp-server",
    );
  }
  const templateName = options.template ?? DEFAULT_TEMPLATE;
  const template = findTemplate(templateName);
  if (!template) {
    throw new CliError(
      `unknown template "${templateName}"`,
      `choose one of:\n${TEMPLATES.map((t) => `  ${t.name.padEnd(13)} ${t.summary}`).join("\n")}`,
    );
  }
  const cwd = options.cwd ?? process.cwd();
  const dir = resolve(cwd, options.dir ?? check.dirName);
  await ensureEmptyFolder(dir);

  const source = chooseSource({
    ...options,
    ...(options.packages === undefined ? {} : { packages: resolve(cwd, options.packages) }),
  });
  await checkSource(source, template.packages);

  out.line(`Creating ${out.bold(name)} from the ${out.bold(template.name)} template in ${out.cyan(dir)}`);
  await mkdir(dir, { recursive: true });
  let framework: Record<string, string>;
  if (source.kind === "registry") {
    framework = await provideFramework(source, template.packages, dir);
  } else {
    const done = out.progress(
      source.kind === "checkout"
        ? `Packing ${template.packages.join(", ")} from ${source.root} into vendor/`
        : `Copying ${template.packages.join(", ")} from ${source.dir} into vendor/`,
    );
    framework = await provideFramework(source, template.packages, dir);
    done(
      `${out.green("✔")} vendor/: ${Object.values(framework)
        .map((f) => f.replace("file:vendor/", ""))
        .join(", ")}`,
    );
  }
  const files = await writeProject(
    dir,
    template,
    {
      ...template.placeholders,
      name,
      dirName: basename(dir),
      dockerVendor: source.kind === "registry" ? "" : "COPY vendor ./vendor\n",
      frameworkNote: frameworkNote(source),
    },
    projectManifest({ name, template, framework }),
  );
  for (const file of files) out.line(`  ${out.dim("+")} ${file}`);

  const install = options.install !== false;
  if (install) await installDependencies(dir, out);
  printNextSteps(out, { name, dir, cwd, template, installed: install });
  return { dir, template, source, files, installed: install };
}

async function ensureEmptyFolder(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  if (!(await stat(dir)).isDirectory()) throw new CliError(`${dir} exists and is not a folder`);
  const entries = (await readdir(dir)).filter((e) => !HARMLESS.has(e));
  if (entries.length > 0) {
    const shown = entries.slice(0, 3).join(", ") + (entries.length > 3 ? `, … (${entries.length} entries)` : "");
    throw new CliError(
      `${dir} is not empty (${shown})`,
      "choose another name or --dir, or empty that folder first: init never overwrites files",
    );
  }
}

function frameworkNote(source: FrameworkSource): string {
  if (source.kind === "registry") return "";
  return [
    "",
    "> The `@chuk-mcp/*` packages come from `vendor/`: they were packed from a chuk-mcp checkout",
    "> because they are not on the npm registry yet. Once they are, replace each `file:vendor/…` in",
    `> package.json by \`^0.1.0\` (or scaffold with \`chuk-mcp init --registry-versions\`) and delete vendor/.`,
    "",
  ].join("\n");
}

function printNextSteps(
  out: Output,
  {
    name,
    dir,
    cwd,
    template,
    installed,
  }: { name: string; dir: string; cwd: string; template: Template; installed: boolean },
): void {
  const rel = relative(cwd, dir) || ".";
  const step = (cmd: string, what = "") =>
    out.line(what ? `  ${out.cyan(cmd.padEnd(28))} ${out.dim(what)}` : `  ${out.cyan(cmd)}`);
  out.line();
  out.line(`${out.green("Done.")} Next:`);
  if (rel !== ".") step(`cd ${rel.includes(" ") ? JSON.stringify(rel) : rel}`);
  if (!installed) step("npm install");
  const url = template.oauth ? "http://localhost:8000/mcp" : "http://127.0.0.1:8000/mcp";
  step("npm run dev", `serves ${url}, restarts on changes`);
  step("npm test", "starts the server and calls its tools");
  step("npm run build && npm start", "the compiled server");
  out.line();
  out.line(`Try it with the MCP Inspector (Transport "Streamable HTTP", URL ${url}):`);
  step("npx @modelcontextprotocol/inspector");
  if (template.oauth) {
    out.line();
    const provider = template.placeholders?.providerName;
    if (provider) {
      out.line(`First register an OAuth app with ${provider} and put its client id and secret in .env`);
      out.line(`(cp .env.example .env): README.md says how. Calls to protected tools then start a ${provider} login.`);
    } else {
      out.line("Calls to protected tools start an OAuth login; the development provider accepts any username.");
      out.line("For a real provider, see README.md (which variables to set, how to register the app).");
    }
  } else {
    out.line();
    out.line("Claude Desktop (claude_desktop_config.json), over STDIO once built:");
    const server = JSON.stringify(resolve(dir, "dist", "server.js"));
    out.line("  {");
    out.line('    "mcpServers": {');
    out.line(
      `      ${JSON.stringify(name)}: { "command": "node", "args": [${server}], "env": { "MCP_TRANSPORT": "stdio" } }`,
    );
    out.line("    }");
    out.line("  }");
  }
  out.line();
  out.line(`More in ${relative(cwd, resolve(dir, "README.md")) || "README.md"}.`);
}
