/** @chuk-mcp/cli — the CLI's pieces, for scripts and tests. */
export { CliError } from "./errors.js";
export {
  chooseSource,
  type FrameworkSource,
  findCheckout,
  type PackedPackage,
  packLocalPackages,
} from "./init/framework.js";
export { type InitOptions, type InitResult, init } from "./init/init.js";
export { INSTALL_ARGS } from "./init/install.js";
export { checkProjectName, type NameCheck } from "./init/name.js";
export { projectManifest, TEMPLATES_DIR } from "./init/scaffold.js";
export { DEFAULT_TEMPLATE, findTemplate, TEMPLATES, type Template } from "./init/templates.js";
export { SCAFFOLD_DEPENDENCIES, SCAFFOLD_DEV_DEPENDENCIES } from "./init/versions.js";
export { splitCommandLine } from "./inspect/command-line.js";
export { type InspectOptions, inspect } from "./inspect/inspect.js";
export { createOutput, type Output } from "./output.js";
export { createProgram, main } from "./program.js";
export { ENTRY_CANDIDATES, runServerFile } from "./run.js";
