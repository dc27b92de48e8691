// Decision retention with a fake clock over a real LevelStore: decisions older than
// decisionRetentionMs are deleted (in batches), newer ones stay, lookups by id (tx describe) and
// by key (tx list --key) reflect it, the background sweep runs on its interval, and one broker
// sweeps at a time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, type BrokerConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/logger.js';
import { LevelStore } from '../../../src/store/level/index.js';
import { DecisionRetention } from '../../../src/transaction/decision-retention.js';
import { FakeClock } from '../../../src/util/clock.js';

const DAY = 24 * 3_600_000;
const TOPIC = 'Orders';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(overrides: Partial<BrokerConfig> = {}, batchSize?: number) {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-decisions-'));
  const store = new LevelStore({ path: dir, clock, durable: false });
  await store.open();
  await store.createTopic({ name: TOPIC, messageType: 'TRANSACTION', queueCount: 1 });
  const config = { ...DEFAULT_CONFIG, ...overrides };
  const retention = (brokerId = 'broker-1'): DecisionRetention => {
    const r = new DecisionRetention({ store, config, clock, log: silentLogger(), brokerId, ...(batchSize ? { batchSize } : {}) });
    cleanups.push(() => r.close());
    return r;
  };
  cleanups.push(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  let n = 0;
  /** A transaction decided now (committed), its message carrying `key`. */
  const decided = async (key = 'order-1'): Promise<string> => {
    const id = `TX${++n}`;
    await store.putHalf(
      {
        transactionId: id,
        message: {
          topic: TOPIC,
          messageId: id,
          messageType: 'TRANSACTION',
          body: Buffer.from('b'),
          keys: [key],
          userProperties: {},
          bornTimestampMs: clock.now(),
          bornHost: 'h',
        },
        producerGroup: TOPIC,
        senderClientId: 'p1',
        budget: 'checks',
      },
      6000,
    );
    expect((await store.endTransaction(id, 'COMMIT', 'CLIENT')).kind).toBe('applied');
    return id;
  };
  const kept = async (ids: string[]): Promise<string[]> => {
    const out: string[] = [];
    for (const id of ids) if (await store.getDecision(id)) out.push(id);
    return out;
  };
  return { clock, store, retention, decided, kept, config };
}

describe('DecisionRetention', () => {
  it('deletes decisions older than decisionRetentionMs and keeps newer ones; describe and key lookups follow', async () => {
    const h = await setup();
    const old = await h.decided('order-1');
    h.clock.advance(2 * DAY);
    const middle = await h.decided('order-1');
    h.clock.advance(4 * DAY);
    const young = await h.decided('order-1');
    const r = h.retention();

    h.clock.advance(DAY - 1); // old: 7 days less 1 ms
    expect(await r.sweep()).toBe(0);
    expect(await h.kept([old, middle, young])).toEqual([old, middle, young]);

    h.clock.advance(1); // old: exactly 7 days
    expect(await r.sweep()).toBe(1);
    expect(await h.store.getDecision(old)).toBeUndefined();
    expect(await h.store.getDecision(middle)).toMatchObject({ transactionId: middle, state: 'COMMITTED', source: 'CLIENT' });
    const byKey = await h.store.findDecisions({ key: 'order-1', limit: 10 });
    expect(byKey.map((d) => d.transactionId).sort()).toEqual([middle, young].sort());

    h.clock.advance(2 * DAY);
    expect(await r.sweep()).toBe(1);
    expect(await h.kept([old, middle, young])).toEqual([young]);
  });

  it('deletes in batches until nothing old is left', async () => {
    const h = await setup({}, 2);
    const old: string[] = [];
    for (let i = 0; i < 5; i++) old.push(await h.decided(`k${i}`));
    h.clock.advance(DAY);
    const young = await h.decided('k-young');
    h.clock.advance(7 * DAY - DAY);
    const purge = vi.spyOn(h.store, 'purgeDecisions');
    expect(await h.retention().sweep()).toBe(5);
    expect(purge.mock.calls.length).toBeGreaterThanOrEqual(3); // 2 + 2 + 1
    expect(purge.mock.calls.every(([olderThanMs, limit]) => olderThanMs === h.config.decisionRetentionMs && limit === 2)).toBe(true);
    expect(await h.kept([...old, young])).toEqual([young]);
  });

  it('sweeps in the background every decisionRetentionCheckIntervalMs, on one broker at a time', async () => {
    const h = await setup({ decisionRetentionMs: 60_000, decisionRetentionCheckIntervalMs: 10_000 });
    const id = await h.decided();
    const purge = vi.spyOn(h.store, 'purgeDecisions');
    h.retention('broker-1').start();
    h.retention('broker-2').start();
    const interval = async (): Promise<void> => {
      h.clock.advance(10_000);
      await vi.waitFor(() => expect(h.clock.pendingTimers()).toBe(2)); // both passes re-armed
    };
    for (let i = 0; i < 5; i++) await interval();
    expect(await h.store.getDecision(id)).toBeDefined(); // 50 s old: kept
    expect(purge).toHaveBeenCalledTimes(5); // one sweep per interval: broker-2 skipped each
    await interval();
    expect(await h.store.getDecision(id)).toBeUndefined(); // 60 s old: deleted
  });
});
