import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["sidecar/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: ".data/vitest-report.json" }]],
  },
});
