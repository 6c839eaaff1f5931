// node:fs plus the `globSync` that Node 22 added. The conformance CLI imports
// it by name at load time (it uses it only in `tier-check`), so on Node 20 it
// would not even start without this.
import fs from "node:fs";

export * from "node:fs";
export default fs;

export function globSync(pattern) {
  throw new Error(`fs.globSync(${JSON.stringify(pattern)}) needs Node 22; this command is not supported on Node 20`);
}
