// `node --import ./node20-register.mjs …` installs the hook (Node ≥ 20.6).
import { register } from "node:module";

register("./node20-hooks.mjs", import.meta.url);
