// `npm run soak -- --cycles 20 [--store postgres://…] [--min-load-ms 1000] [--max-load-ms 3000]`:
// the crash soak (run-soak.ts) from the command line. Prints one line per cycle and the totals;
// exits 1 when anything was lost, forbidden, redelivered or left pending.
import { parseArgs } from 'node:util';
import { runSoak } from './run-soak.js';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '20' },
    store: { type: 'string' },
    'min-load-ms': { type: 'string', default: '1000' },
    'max-load-ms': { type: 'string', default: '3000' },
  },
});
const cycles = Number(values.cycles);
if (!Number.isInteger(cycles) || cycles < 1) throw new Error(`--cycles must be a positive integer, not ${values.cycles}`);
const started = Date.now();
const report = await runSoak({
  cycles,
  ...(values.store ? { store: values.store } : {}),
  loadMs: [Number(values['min-load-ms']), Number(values['max-load-ms'])],
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(
  [
    `store: ${values.store ? 'PostgreSQL' : 'LevelDB'}, ${Math.round((Date.now() - started) / 1000)} s`,
    `cycles: ${report.cycles}`,
    `operations: ${report.operations}`,
    `acknowledged: ${report.acknowledged}`,
    `delivered: ${report.delivered}`,
    `lost: ${report.lost}`,
    `forbidden: ${report.forbidden}`,
    `redelivered: ${report.redelivered}`,
    `pending: ${report.pending}`,
    ...report.problems.slice(0, 20),
    '',
  ].join('\n'),
);
process.exit(report.cycles === cycles && report.lost + report.forbidden + report.redelivered + report.pending === 0 ? 0 : 1);
