// Smoke test of the peers benchmark's Halfmoon part (scripts/bench/peers/, no RabbitMQ or NATS):
// a tiny run against a real `halfmoon start` process through the lean gRPC client in forked load
// generators must complete every row with no errors and zero bad transaction checks. Needs the
// build (dist/). No timing assertions: the numbers are for reading.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { peersOptions, runPeers } from '../../scripts/bench/peers/run-peers.js';
import { selectBenchmarks } from '../../scripts/bench/run.js';

const out = mkdtempSync(join(tmpdir(), 'halfmoon-bench-peers-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('peers benchmark, Halfmoon part (quick)', () => {
  it('runs every Halfmoon row and writes the table and JSON', { timeout: 60_000 }, async () => {
    const o = { ...peersOptions({ quick: true, 'no-peers': true }), messages: 64, pending: [300], out: join(out, 'peers.json') };
    const r = await runPeers(o, () => undefined);
    const configs = new Set(r.runs.map((x) => `${x.config}|${x.phase}`));
    for (const k of [
      'halfmoon|publish W=64',
      'halfmoon|publish W=256',
      'halfmoon|drain',
      'halfmoon|e2e',
      'halfmoon-tx|publish W=64',
      'halfmoon-tx-mixed|publish W=64',
      'halfmoon-batch32|publish W=256',
      'halfmoon-official|publish W=64',
    ]) {
      expect(configs.has(k), k).toBe(true);
    }
    for (const x of r.runs) {
      expect(x.errors, `${x.config} ${x.phase}`).toBe(0);
      expect(x.count, `${x.config} ${x.phase}`).toBeGreaterThan(0);
    }
    const mixed = r.runs.find((x) => x.config === 'halfmoon-tx-mixed')!;
    expect(mixed.extra.left).toBeGreaterThan(0);
    expect(mixed.extra.checks).toBe(mixed.extra.left);
    expect(mixed.extra.checksForDecided).toBe(0);
    expect(mixed.extra.duplicateChecks).toBe(0);
    expect(r.pending[0]!.checksSeen).toBe(300);
    expect(r.idle!.startMs).toBeGreaterThan(0);
    expect(r.table).toContain('| Halfmoon only | |');
    expect(existsSync(o.out)).toBe(true);
    expect((JSON.parse(readFileSync(o.out, 'utf8')) as { runs: unknown[] }).runs.length).toBe(r.runs.length);
  });

  it('is selected by name only', () => {
    expect(selectBenchmarks([])).not.toContain('peers');
    expect(selectBenchmarks(['peers'])).toEqual(['peers']);
  });
});
