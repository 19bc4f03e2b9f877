// Prints the test totals of the last `npm test` as one plain line: "N passed, N failed, N skipped".
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(".data/vitest-report.json", "utf8"));
let pythonPassed = 0;
let pythonFailed = 0;
try {
  const py = JSON.parse(readFileSync(".data/addon-pure-tests.json", "utf8"));
  pythonPassed = py.passed;
  pythonFailed = py.failed;
} catch {
  // the Python helpers' run did not leave a count: only vitest's totals are printed
}
const passed = report.numPassedTests + pythonPassed;
const failed = report.numFailedTests + pythonFailed;
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
