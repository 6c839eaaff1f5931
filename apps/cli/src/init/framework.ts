/**
 * Where a scaffolded project gets the chuk-mcp packages from:
 *
 * - `checkout`: the CLI runs from a checkout of the chuk-mcp repository (the
 *   packages are not on the registry yet): each package the template needs
 *   is packed (`npm pack`, its built dist) into the project's `vendor/`, and
 *   package.json points at the tarball (`file:vendor/…tgz`);
 * - `tarballs`: the same, from tarballs packed beforehand (`--packages <dir>`);
 * - `registry`: a version range from the npm registry (`--registry-versions`,
 *   and what an installed CLI outside a checkout uses).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "../errors.js";
import { type FrameworkPackage, TEMPLATES } from "./templates.js";
import { FRAMEWORK_RANGE } from "./versions.js";

export type FrameworkSource =
  | { kind: "registry"; range: string }
  | { kind: "checkout"; root: string }
  | { kind: "tarballs"; dir: string };

/** package name → the version spec written into package.json. */
export type DependencySpecs = Record<string, string>;

/** The folder of a package in the repository: `@chuk-mcp/oauth` → `packages/oauth`. */
export const packageFolder = (name: FrameworkPackage | string): string =>
  `packages/${name.replace(/^@chuk-mcp\//, "")}`;

/** The file name `npm pack` gives a package's tarball, without the version: `chuk-mcp-oauth-`. */
const tarballPrefix = (name: string): string => `${name.replace(/^@/, "").replace("/", "-")}-`;

/** The chuk-mcp checkout this CLI runs from, if any: the folder holding packages/server. */
export function findCheckout(from: string = fileURLToPath(new URL(".", import.meta.url))): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const manifest = join(dir, "packages", "server", "package.json");
    if (existsSync(manifest) && existsSync(join(dir, "apps", "cli"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface SourceOptions {
  registryVersions?: boolean;
  packages?: string;
}

export function chooseSource(options: SourceOptions): FrameworkSource {
  if (options.registryVersions) return { kind: "registry", range: FRAMEWORK_RANGE };
  if (options.packages !== undefined) {
    const dir = resolve(options.packages);
    if (!existsSync(dir)) throw new CliError(`--packages: no folder ${dir}`);
    return { kind: "tarballs", dir };
  }
  const root = findCheckout();
  return root ? { kind: "checkout", root } : { kind: "registry", range: FRAMEWORK_RANGE };
}

/** Fails early, before anything is written, when a local package has not been built. */
export async function checkSource(source: FrameworkSource, packages: readonly string[]): Promise<void> {
  if (source.kind === "checkout") {
    for (const name of packages) {
      const folder = join(source.root, packageFolder(name));
      if (!existsSync(join(folder, "package.json"))) {
        throw new CliError(`this checkout has no ${name} (${folder})`, "pass --registry-versions to use the registry");
      }
      if (!existsSync(join(folder, "dist", "index.js"))) {
        throw new CliError(
          `${name} is not built in this checkout (${folder}/dist is missing)`,
          `run \`npm run build\` in ${source.root} first, or pass --registry-versions`,
        );
      }
    }
  } else if (source.kind === "tarballs") {
    const files = await readdir(source.dir);
    for (const name of packages) tarballIn(files, name, source.dir);
  }
}

function tarballIn(files: readonly string[], name: string, dir: string): string {
  const prefix = tarballPrefix(name);
  const found = files.filter((f) => f.startsWith(prefix) && /^\d/.test(f.slice(prefix.length)) && f.endsWith(".tgz"));
  if (found.length !== 1) {
    throw new CliError(
      found.length === 0
        ? `no tarball of ${name} in ${dir}`
        : `more than one tarball of ${name} in ${dir}: ${found.join(", ")}`,
      `pack it with \`npm pack ${packageFolder(name)} --pack-destination ${dir}\` from the chuk-mcp checkout`,
    );
  }
  return found[0] as string;
}

/**
 * Puts the packages where the project's package.json will point (`vendor/`,
 * except for the registry) and returns the specs to write.
 */
export async function provideFramework(
  source: FrameworkSource,
  packages: readonly string[],
  projectDir: string,
): Promise<DependencySpecs> {
  const specs: DependencySpecs = {};
  if (source.kind === "registry") {
    for (const name of packages) specs[name] = source.range;
    return specs;
  }
  const vendor = join(projectDir, "vendor");
  await mkdir(vendor, { recursive: true });
  if (source.kind === "tarballs") {
    const files = await readdir(source.dir);
    for (const name of packages) {
      const file = tarballIn(files, name, source.dir);
      await copyFile(join(source.dir, file), join(vendor, file));
      specs[name] = `file:vendor/${file}`;
    }
    return specs;
  }
  const packed = await packPackages(
    packages.map((name) => join(source.root, packageFolder(name))),
    vendor,
  );
  for (const name of packages) {
    const entry = packed.find((p) => p.name === name);
    if (!entry) throw new CliError(`npm pack did not pack ${name}`);
    specs[name] = `file:vendor/${entry.filename}`;
  }
  return specs;
}

export interface PackedPackage {
  name: string;
  version: string;
  filename: string;
}

/** `npm pack` the package folders into `destination` (one npm run). */
export async function packPackages(folders: readonly string[], destination: string): Promise<PackedPackage[]> {
  await mkdir(destination, { recursive: true });
  const { code, stdout, stderr } = await runNpm(["pack", ...folders, "--pack-destination", destination, "--json"], {
    cwd: destination,
  });
  if (code !== 0) throw new CliError(`npm pack failed (exit code ${code}):\n${tail(stderr || stdout)}`);
  const start = stdout.indexOf("[");
  try {
    return (JSON.parse(stdout.slice(start)) as PackedPackage[]).map(({ name, version, filename }) => ({
      name,
      version,
      filename,
    }));
  } catch {
    throw new CliError(`npm pack printed something unexpected:\n${tail(stdout)}`);
  }
}

/**
 * Packs chuk-mcp packages of a checkout into `destination`, once, for
 * `chuk-mcp init --packages <destination>` (what CI does to scaffold many
 * projects quickly). Default: every package a template uses.
 */
export async function packLocalPackages(
  destination: string,
  names: readonly string[] = [...new Set(TEMPLATES.flatMap((t) => t.packages))],
  root = findCheckout(),
): Promise<PackedPackage[]> {
  if (!root) throw new CliError("not a chuk-mcp checkout: nothing to pack");
  await checkSource({ kind: "checkout", root }, names);
  return packPackages(
    names.map((name) => join(root, packageFolder(name))),
    destination,
  );
}

export interface NpmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Variables a parent npm sets that would turn a nested `npm install` global or into a workspace command. */
const NPM_LEAKS = /^npm_config_(global|location|prefix|workspaces?|include_workspace_root)$/i;

/** The environment for a nested npm. */
export function npmEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (!NPM_LEAKS.test(key)) out[key] = value;
  return out;
}

/** Runs npm, collecting its output; `onOutput` sees it as it comes. */
export function runNpm(
  args: readonly string[],
  options: { cwd: string; onOutput?: (chunk: string) => void },
): Promise<NpmResult> {
  return new Promise((resolvePromise, reject) => {
    const windows = process.platform === "win32";
    const child = spawn(windows ? "npm.cmd" : "npm", args, {
      cwd: options.cwd,
      env: npmEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      shell: windows,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      options.onOutput?.(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      options.onOutput?.(chunk);
    });
    child.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "ENOENT"
          ? new CliError("npm was not found on the PATH", "install Node.js 20 or newer (it comes with npm)")
          : err,
      ),
    );
    child.once("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** The last lines of some output. */
export const tail = (text: string, lines = 25): string => text.trimEnd().split("\n").slice(-lines).join("\n");
