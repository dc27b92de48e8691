// CI entry point: typechecks, runs the guard rails (lint, format check, import cycles), runs the
// whole vitest suite with a JSON report, and ends with the single line `N passed, N failed` that
// CI reads (a failing typecheck or guard rail counts as one failure each). Exit code is non-zero
// when anything failed.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const report = '.vitest-results.json';
rmSync(report, { force: true });

const typecheck = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
const guards = ['lint', 'format:check', 'cycles'].map((script) => spawnSync('npm', ['run', '-s', script], { stdio: 'inherit' }));
const run = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], { stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed = results.numPassedTests ?? 0;
  failed = results.numFailedTests ?? 0;
  // A file that failed without a failing test (import error, failing hook) counts once.
  for (const file of results.testResults ?? []) {
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed')) failed += 1;
  }
  skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
} catch {
  failed += 1; // no report: the runner itself crashed
}
if (typecheck.status !== 0) failed += 1;
failed += guards.filter((guard) => guard.status !== 0).length; // each failing guard rail counts once
if (run.status !== 0 && failed === 0) failed += 1;

const tail = skipped > 0 ? `, ${skipped} skipped` : '';
process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
