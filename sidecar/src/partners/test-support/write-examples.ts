import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildExample, EXAMPLE_SOURCES } from "./examples.ts";
import { contractsDir } from "./fixtures.ts";

// Rewrites contracts/v1/examples/<inbound type>.json from the sample documents.
for (const spec of EXAMPLE_SOURCES) {
  const path = join(contractsDir, "examples", `${spec.type}.json`);
  writeFileSync(path, `${JSON.stringify(buildExample(spec), null, 2)}\n`);
  console.log(`wrote ${path}`);
}
