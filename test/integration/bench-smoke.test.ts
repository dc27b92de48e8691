// Smoke test of the benchmark scripts (scripts/bench/): each benchmark runs once in quick mode
// and must complete with positive counts. No timing assertions: the numbers are for reading.
import { describe, expect, it } from 'vitest';
import { CHECK_QUICK, runCheckDispatch } from '../../scripts/bench/check-dispatch.js';
import { CONSUME_QUICK, runConsumeThroughput } from '../../scripts/bench/consume-throughput.js';
import { profileOptions, runProfile } from '../../scripts/bench/profile.js';
import { selectBenchmarks } from '../../scripts/bench/run.js';
import { runTransport, transportOptions } from '../../scripts/bench/transport.js';
import { runTxThroughput, TX_QUICK } from '../../scripts/bench/tx-throughput.js';

const quiet = (): void => undefined;

describe('benchmarks (quick mode)', () => {
  it('tx-throughput completes transactions with raw and official clients', async () => {
    const { data, rows } = await runTxThroughput(TX_QUICK, quiet);
    expect(data.runs.map((r) => r.client)).toEqual(['raw', 'official']);
    for (const r of data.runs) {
      expect(r.load.completed).toBeGreaterThan(0);
      expect(r.load.errors).toBe(0);
      expect(r.load.send.count).toBeGreaterThan(0);
      expect(r.load.end.count).toBeGreaterThan(0);
      expect(r.committed).toBeGreaterThan(0);
    }
    expect(rows.length).toBeGreaterThan(0);
  });

  it('check-dispatch gives every pending transaction its first check', async () => {
    const { data } = await runCheckDispatch(CHECK_QUICK, quiet);
    expect(data.dispatch.firstChecks).toBe(data.options.pending);
    expect(data.dispatch.checksPerSec).toBeGreaterThan(0);
    expect(data.durableSample?.firstChecks).toBe(data.options.durableSample);
    expect(data.idleTick.count).toBe(data.options.idleTicks);
    expect(data.idleTickAfterDispatch.count).toBe(data.options.idleTicks);
    expect(data.idleTickBaseline.count).toBe(data.options.idleTicks);
  });

  it('consume-throughput delivers and acks what the producer sent (official and raw clients)', async () => {
    const { data } = await runConsumeThroughput({ ...CONSUME_QUICK, clients: ['official', 'raw'] }, quiet);
    for (const r of data.runs) {
      expect(r.load.sent).toBeGreaterThan(0);
      expect(r.load.acked).toBeGreaterThan(0);
      expect(r.load.e2e.count).toBeGreaterThan(0);
      expect(r.load.errors).toBe(0);
      expect(r.load.totalAcked).toBe(r.load.totalSent);
      expect(r.load.drainAcked).toBe(r.load.drainBacklog);
    }
  });

  it('profile summarizes a CPU profile of the broker under the publish load', async () => {
    const { data } = await runProfile({ ...profileOptions({ quick: true }), phases: ['publish'] }, quiet);
    const s = data.publish!;
    expect(s.totalMs).toBeGreaterThan(0);
    expect(s.areas.map((a) => a.area)).toContain('grpc-js');
    expect(s.inclusive.some((f) => f.where.startsWith('src/'))).toBe(true);
  });

  it('transport measures grpc-js and a bare node:http2 handler', async () => {
    const { data } = await runTransport(transportOptions({ quick: true }), quiet);
    for (const runs of Object.values(data)) {
      expect(runs).toHaveLength(1);
      expect(runs[0]!.callsPerSec).toBeGreaterThan(0);
      expect(runs[0]!.usPerCall).toBeGreaterThan(0);
    }
  });

  it('run.ts selects benchmarks by name', () => {
    expect(selectBenchmarks([])).toEqual(['tx', 'check', 'consume']);
    expect(selectBenchmarks(['consume-throughput', 'tx'])).toEqual(['consume', 'tx']);
    expect(selectBenchmarks(['profile', 'transport'])).toEqual(['profile', 'transport']);
    expect(() => selectBenchmarks(['nope'])).toThrow(/unknown benchmark/);
  });
});
