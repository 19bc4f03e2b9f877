#!/usr/bin/env node
// The `odc` command. Runs the TypeScript sources through tsx so a clone works right
// after `npm ci`, with no separate build step to forget.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../sidecar/src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
