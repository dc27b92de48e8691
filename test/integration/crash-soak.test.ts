// The crash soak, short (scripts/soak/run-soak.ts; `npm run soak -- --cycles 20` runs it long):
// a broker process SIGKILLed at random moments of mixed load — transactional sends, commits,
// rollbacks, check answers, DELAY sends, receives and acks in two groups — and restarted on the
// same data, three times on LevelDB and twice on a throwaway PostgreSQL. After every restart: every
// acknowledged commit and DELAY message delivered to every group, nothing rolled back or never
// decided delivered, no confirmed ack redelivered, no transaction left pending.
import { afterAll, expect, it } from 'vitest';
import { runSoak, type SoakReport } from '../../scripts/soak/run-soak.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

let postgres: TestPostgres | undefined;
afterAll(async () => {
  await postgres?.stop();
});

function expectClean(report: SoakReport, cycles: number): void {
  expect(report.problems).toEqual([]);
  expect(report).toMatchObject({ cycles, lost: 0, forbidden: 0, redelivered: 0, pending: 0 });
  expect(report.acknowledged).toBeGreaterThan(0);
  expect(report.delivered).toBeGreaterThanOrEqual(report.acknowledged * 2);
}

it('LevelDB: three SIGKILLs under mixed load lose nothing and deliver nothing forbidden', async () => {
  expectClean(await runSoak({ cycles: 3, loadMs: [300, 1500] }), 3);
}, 180_000);

it('PostgreSQL: two SIGKILLs under mixed load lose nothing and deliver nothing forbidden', async () => {
  postgres = await startPostgres();
  const store = await postgres.createDatabase('soak');
  expectClean(await runSoak({ cycles: 2, loadMs: [300, 1500], store }), 2);
}, 180_000);
