// Smoke test of the cluster benchmark (scripts/bench/cluster/): a tiny run with 1 and 2 real
// `halfmoon start --store postgres://…` processes on the benchmark's own durable PostgreSQL,
// through the lean gRPC client in forked load generators, must complete both phases for each
// broker count with no errors, non-zero figures read from /proc and PostgreSQL, and a pending
// set whose every transaction gets its check; the table and JSON are written. Needs the build
// (dist/) and the PostgreSQL server binaries. No timing assertions: the numbers are for reading.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterOptions, runCluster } from '../../scripts/bench/cluster/run-cluster.js';
import { selectBenchmarks } from '../../scripts/bench/run.js';

const out = mkdtempSync(join(tmpdir(), 'halfmoon-bench-cluster-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('cluster benchmark (quick)', () => {
  it('measures both phases per broker count and writes the table and JSON', { timeout: 120_000 }, async () => {
    const o = { ...clusterOptions({ quick: true, brokers: '1,2' }), messages: 300, pending: 200, out: join(out, 'cluster.json') };
    const r = await runCluster(o, () => undefined);
    expect(r.runs.map((x) => `${x.brokers}|${x.mode}`).sort()).toEqual(['1|normal', '1|tx', '2|normal', '2|tx']);
    for (const x of r.runs) {
      const what = `${x.brokers} ${x.mode}`;
      expect(x.errors, `${what}: ${x.firstError}`).toBe(0);
      expect(x.count, what).toBe(300);
      expect(x.perSec, what).toBeGreaterThan(0);
      expect(x.p99Ms, what).toBeGreaterThanOrEqual(x.p50Ms);
      expect(x.brokerUsPerMsg, what).toBeGreaterThan(0);
      expect(x.pgUsPerMsg, what).toBeGreaterThan(0);
      expect(x.walBytesPerMsg, what).toBeGreaterThan(x.mode === 'tx' ? 1024 : 0);
      // Appends and decisions of one queue share BEGIN … COMMIT blocks; a half message is a statement of its own.
      expect(x.commitsPerMsg, what).toBeGreaterThan(0);
      expect(x.statementsPerMsg, what).toBeGreaterThan(x.commitsPerMsg);
      expect(x.topStatements.length, what).toBeGreaterThan(0);
    }
    expect(r.pending!.checksSeen).toBe(200);
    expect(r.pending!.firstCheckDelayMs).toBeGreaterThanOrEqual(0);
    expect(r.table).toContain('| committed transactions/s (half + commit) |');
    expect(r.table).toContain('| 1 broker | 2 brokers |');
    expect(existsSync(o.out)).toBe(true);
    expect((JSON.parse(readFileSync(o.out, 'utf8')) as { runs: unknown[] }).runs.length).toBe(4);
  });

  it('is selected by name only and checks its broker counts', () => {
    expect(selectBenchmarks([])).not.toContain('cluster');
    expect(selectBenchmarks(['cluster'])).toEqual(['cluster']);
    expect(() => clusterOptions({ brokers: '1,x' })).toThrow(/--brokers takes broker counts/);
  });
});
