// Decisions at scale (100,000): findDecisions reads a key's index entries, not every decision,
// and answers newest first; purgeDecisions deletes exactly the old ones, oldest first, with their
// index entries. The decisions are written with the store's own decision ops (Decisions.puts:
// the record and both index entries, exactly what endTransaction adds to its batch) through its
// group-commit writer, non-durable, in concurrent batches: 100,000 putHalf + endTransaction round
// trips would take half a minute on a shared 2-core machine. A few more are decided through the
// public API on top. The key lookup time is reported, not asserted.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionDecision } from '../../../../src/domain/transactions.js';
import { InProcessEventBus } from '../../../../src/runtime/event-bus.js';
import { LevelDb, type Op } from '../../../../src/store/level/db.js';
import { Decisions } from '../../../../src/store/level/decisions.js';
import type { LevelStore } from '../../../../src/store/level/index.js';
import { FakeClock } from '../../../../src/util/clock.js';
import { message, TempStores, withRaw } from './helpers.js';

const TOTAL = 100_000;
const PER_WRITE = 1_000;
const HOUR = 3_600_000;
/** Every NEEDLE_EVERY-th decision also carries the key 'needle'. */
const NEEDLE_EVERY = 10_000;
/** Needles decided through putHalf + endTransaction after the bulk. */
const API_NEEDLES = 3;

const idOf = (i: number): string => `TX${String(i).padStart(6, '0')}`;

describe('LevelStore decisions at 100,000', () => {
  const temp = new TempStores();
  const clock = new FakeClock();
  let store: LevelStore;
  /** Decision time of each needle transaction, by id. */
  const needles = new Map<string, number>();
  const t0 = clock.now();

  /** Decision i: the first half two hours before t0, the second half from t0, 1 ms apart per 1,000. */
  function decisionOf(i: number): TransactionDecision {
    const decidedAtMs = (i < TOTAL / 2 ? t0 - 2 * HOUR : t0) + Math.floor(i / PER_WRITE);
    const keys = i % NEEDLE_EVERY === 0 ? [`order-${i}`, 'needle'] : [`order-${i}`];
    if (keys.includes('needle')) needles.set(idOf(i), decidedAtMs);
    const state = i % 1_000 === 345 ? 'COMMITTED' : 'ROLLED_BACK';
    return { transactionId: idOf(i), topic: 'orders', messageId: idOf(i), state, source: 'CLIENT', receivedAtMs: decidedAtMs - 10, decidedAtMs, checkCount: 0, keys };
  }

  beforeAll(async () => {
    await temp.setUp();
    await (await temp.openStore(clock)).close(); // a current-format directory
    const started = performance.now();
    const d = new LevelDb(temp.dir, clock, false, new InProcessEventBus());
    await d.open();
    const decisions = new Decisions(d);
    const writes: Promise<void>[] = [];
    for (let start = 0; start < TOTAL; start += PER_WRITE) {
      const ops: Op[] = [];
      for (let i = start; i < start + PER_WRITE; i++) ops.push(...decisions.puts(decisionOf(i)));
      writes.push(d.write(ops));
    }
    await Promise.all(writes);
    await d.close();
    console.info(`wrote ${TOTAL} decisions in ${(performance.now() - started).toFixed(0)} ms`);

    store = await temp.openStore(clock);
    await store.createTopic({ name: 'orders', messageType: 'TRANSACTION', queueCount: 1 });
    clock.advance(1_000);
    for (let n = 0; n < API_NEEDLES; n++) {
      const id = `TX-API-${n}`;
      await store.putHalf(
        {
          transactionId: id,
          producerGroup: 'orders',
          senderClientId: 'p1',
          budget: 'checks',
          message: message('orders', { messageId: id, messageType: 'TRANSACTION', keys: ['needle'] }),
        },
        60_000,
      );
      await store.endTransaction(id, 'ROLLBACK', 'CLIENT');
      needles.set(id, clock.now());
      clock.advance(1);
    }
  });
  afterAll(() => temp.tearDown());

  it('finds a key among 100,000 decisions from its index, newest first', async () => {
    const started = performance.now();
    const found = await store.findDecisions({ key: 'needle', limit: 100 });
    const elapsed = performance.now() - started;
    console.info(`findDecisions({ key }) among ${TOTAL} decisions: ${elapsed.toFixed(2)} ms for ${found.length} results`);

    const newestFirst = [...needles].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([id]) => id);
    expect(found.map((d) => d.transactionId)).toEqual(newestFirst);
    expect(found).toHaveLength(TOTAL / NEEDLE_EVERY + API_NEEDLES);
    expect(found[0]!.transactionId).toBe(`TX-API-${API_NEEDLES - 1}`);
    expect((await store.findDecisions({ key: 'needle', limit: 3 })).map((d) => d.transactionId)).toEqual(newestFirst.slice(0, 3));
    expect((await store.findDecisions({ key: 'needle', state: 'ROLLED_BACK', limit: 100 })).map((d) => d.transactionId)).toEqual(newestFirst);
    expect(await store.findDecisions({ key: 'needle', state: 'COMMITTED', limit: 100 })).toEqual([]);
    const [one, ...none] = await store.findDecisions({ key: 'order-12345', limit: 10 });
    expect(none).toEqual([]);
    expect(one).toMatchObject({ transactionId: 'TX012345', state: 'COMMITTED', keys: ['order-12345'] });
    expect(await store.findDecisions({ key: 'order-1234', limit: 10 })).toHaveLength(1); // a prefix of other keys matches only itself
  });

  it('purges only the decisions older than the limit, oldest first, with their index entries', async () => {
    let deleted = 0;
    let rounds = 0;
    for (;;) {
      const r = await store.purgeDecisions(HOUR, 20_000);
      deleted += r.deleted;
      rounds++;
      if (!r.more) break;
    }
    expect(deleted).toBe(TOTAL / 2);
    expect(rounds).toBe(3); // 20,000 + 20,000 + 10,000
    expect(await store.getDecision('TX000000')).toBeUndefined();
    expect(await store.getDecision('TX049999')).toBeUndefined();
    expect(await store.getDecision('TX050000')).toMatchObject({ state: 'ROLLED_BACK' });
    expect(await store.getDecision('TX099345')).toMatchObject({ state: 'COMMITTED' });
    const recent = [...needles].filter(([, at]) => at >= t0);
    expect((await store.findDecisions({ key: 'needle', limit: 100 })).map((d) => d.transactionId).sort()).toEqual(recent.map(([id]) => id).sort());
    expect(await store.findDecisions({ key: 'order-10', limit: 10 })).toEqual([]);
    expect(await store.purgeDecisions(HOUR, 20_000)).toEqual({ deleted: 0, more: false });

    await store.close();
    const counts = await withRaw(temp.dir, async (sub) => ({
      decisions: (await sub('txdecision').keys().all()).length,
      byTime: (await sub('txdecisiontime').keys().all()).length,
      byKey: (await sub('txdecisionkey').keys().all()).length,
    }));
    // The recent half and the API ones; key entries: one per decision (order-i), plus the needles.
    expect(counts).toEqual({ decisions: TOTAL / 2 + API_NEEDLES, byTime: TOTAL / 2 + API_NEEDLES, byKey: TOTAL / 2 + recent.length });
  });
});
