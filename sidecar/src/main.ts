// Entry point of the built sidecar (dist/odc.mjs, what `npm start` runs).
import { main } from "./cli.ts";

process.exitCode = await main(process.argv.slice(2));
