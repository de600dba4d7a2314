// Test-only fault injection: `VOLTQ_CRASH_AT=<point>` makes the process SIGKILL itself when it reaches that point
// (test/fault/billing-debit.test.ts kills billing between storing a bill and debiting it). Unset in every real run;
// nothing else reads it.
const point = process.env.VOLTQ_CRASH_AT;

export function crashPoint(name: string): void {
  if (point === name) process.kill(process.pid, 'SIGKILL');
}
