#!/usr/bin/env node
/** The `chuk-mcp` executable. */
import { main } from "./program.js";

await main();
