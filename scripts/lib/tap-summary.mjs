// Reads tap's TAP stream and prints the plain closing line "N passed, N failed" that CI understands.
// Counts top-level test points (one per test file) and, inside them, every assertion.
import { readFileSync } from 'node:fs';

const [file, statusArg] = process.argv.slice(2);
const text = readFileSync(file, 'utf8');
const summary = text.match(/^# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?.*\}$/m);
let total = 0, pass = 0, fail = 0;
if (summary) {
  total = Number(summary[1]);
  pass = Number(summary[2]);
  fail = Number(summary[3] ?? 0);
} else {
  for (const line of text.split('\n')) {
    if (/^ok \d+/.test(line)) pass++;
    else if (/^not ok \d+/.test(line)) fail++;
  }
  total = pass + fail;
}
const status = Number(statusArg ?? 0);
if (status !== 0 && fail === 0) fail = 1; // tap failed without a counted failure (crash, timeout)
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail > 0 || status !== 0 || total === 0 ? 1 : 0);
