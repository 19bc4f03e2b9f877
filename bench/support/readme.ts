import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * Replaces the section `## <title>` of `readme` (bench/README.md: given by the caller, whose
 * root is known wherever it runs from) up to the next `## ` with `lines`, or appends it: each
 * section is owned by the script that measured it.
 */
export function writeReadmeSection(readme: string, title: string, lines: readonly string[]): void {
  const section = `## ${title}\n\n${lines.join("\n")}\n`;
  let text = existsSync(readme) ? readFileSync(readme, "utf8") : "# Benchmarks\n\nScripts in this folder are run by hand (`npx tsx bench/<script>.ts`), not by `npm test`. Each section below is owned by the script that produced it.\n";
  const start = text.indexOf(`\n## ${title}\n`);
  if (start === -1) text = `${text.trimEnd()}\n\n${section}`;
  else {
    const next = text.indexOf("\n## ", start + 1);
    text = `${text.slice(0, start + 1)}${section}${next === -1 ? "" : text.slice(next)}`;
  }
  writeFileSync(readme, text);
}
