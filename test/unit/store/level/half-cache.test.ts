// The LevelDB backend's cache of recent half messages: bounded by bytes; a commit of an evicted
// or restarted transaction reads the disk; a check, abandon or re-arm that rewrites the metadata
// is seen by the commit; a retried putHalf of a cached transaction is a no-op.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewHalf } from '../../../../src/domain/transactions.js';
import { FakeClock } from '../../../../src/util/clock.js';
import { message, TempStores } from './helpers.js';

function half(topic: string, transactionId: string, body = Buffer.from(`tx-${transactionId}`)): NewHalf {
  return {
    transactionId,
    message: message(topic, { messageType: 'TRANSACTION', messageId: transactionId, body }),
    producerGroup: 'pg',
    senderClientId: 'producer-1',
    budget: 'checks',
  };
}

describe('LevelStore half-message cache', () => {
  const temp = new TempStores();
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    await temp.setUp();
  });
  afterEach(() => temp.tearDown());

  describe('recent half messages', () => {
    it('stays within its byte bound; commits of evicted transactions read the disk and append the same message', async () => {
      const store = await temp.openStore(clock, { halfCacheBytes: 8 * 1024 });
      await store.createTopic({ name: 't', messageType: 'TRANSACTION', queueCount: 1 });
      const halves = Array.from({ length: 12 }, (_, i) => half('t', `TX-${i}`, Buffer.alloc(1024, i)));
      for (const h of halves) await store.putHalf(h, 60_000);
      const stats = store.halfCacheStats;
      expect(stats.bytes).toBeLessThanOrEqual(8 * 1024);
      expect(stats.entries).toBeGreaterThan(0);
      expect(stats.entries).toBeLessThan(halves.length);

      for (const h of halves) expect((await store.endTransaction(h.transactionId, 'COMMIT', 'CLIENT')).kind).toBe('applied');
      expect(store.halfCacheStats).toEqual({ entries: 0, bytes: 0 });
      const log = await store.read('t', 0, 0, 100);
      expect(log.map((m) => m.transactionId)).toEqual(halves.map((h) => h.transactionId));
      log.forEach((m, i) => {
        const { body, ...rest } = halves[i]!.message;
        expect(m).toMatchObject(rest);
        expect(m.body.equals(body)).toBe(true);
      });
    });

    it('keeps a copy of the body: the caller reusing its buffer does not change what is committed', async () => {
      const store = await temp.openStore(clock);
      await store.createTopic({ name: 't', messageType: 'TRANSACTION', queueCount: 1 });
      const h = half('t', 'TX-COPY', Buffer.from('original'));
      await store.putHalf(h, 60_000);
      h.message.body.write('CHANGED!');
      await store.endTransaction('TX-COPY', 'COMMIT', 'CLIENT');
      expect((await store.read('t', 0, 0, 1))[0]!.body.toString()).toBe('original');
    });

    it('a commit after a check sees the rewritten metadata (check count, trail) and appends the message', async () => {
      const store = await temp.openStore(clock);
      await store.createTopic({ name: 't', messageType: 'TRANSACTION', queueCount: 1 });
      await store.putHalf(half('t', 'TX-CHECKED'), 0);
      const claim = await store.claimDueChecks({ producerGroup: 'pg', limit: 10, nextCheckInMs: 60_000, budget: { checkMax: 15, maxAgeMs: 60_000 }, targets: ['checker-1'] });
      expect(claim.claimed.map((c) => c.transactionId)).toEqual(['TX-CHECKED']);
      const result = await store.endTransaction('TX-CHECKED', 'COMMIT', 'SERVER_CHECK');
      expect(result.kind).toBe('applied');
      if (result.kind !== 'applied') return;
      expect(result.decision.checkCount).toBe(1);
      expect(result.decision.checks?.map((c) => c.clientId)).toEqual(['checker-1']);
      expect((await store.read('t', 0, 0, 1))[0]?.transactionId).toBe('TX-CHECKED');
    });

    it('a commit after an abandon and a re-arm still finds the transaction (metadata from disk)', async () => {
      const store = await temp.openStore(clock);
      await store.createTopic({ name: 't', messageType: 'TRANSACTION', queueCount: 1 });
      await store.putHalf(half('t', 'TX-AB'), 60_000);
      expect(await store.abandonTransaction('TX-AB', 'operator')).toBe(true);
      expect(await store.rearmTransaction('TX-AB', 60_000)).toBe(true);
      expect((await store.endTransaction('TX-AB', 'COMMIT', 'CLIENT')).kind).toBe('applied');
      expect(await store.pendingTransactionCount('pg')).toBe(0);
    });

    it('a retried putHalf of a cached transaction changes nothing; after its decision it is still refused', async () => {
      const store = await temp.openStore(clock);
      await store.createTopic({ name: 't', messageType: 'TRANSACTION', queueCount: 1 });
      await store.putHalf(half('t', 'TX-R', Buffer.from('first')), 60_000);
      await store.putHalf(half('t', 'TX-R', Buffer.from('second')), 60_000);
      expect(await store.pendingTransactionCount('pg')).toBe(1);
      expect((await store.getHalf('TX-R'))?.message.body.toString()).toBe('first');
      await store.endTransaction('TX-R', 'COMMIT', 'CLIENT');
      await store.putHalf(half('t', 'TX-R', Buffer.from('third')), 60_000);
      expect(await store.getHalf('TX-R')).toBeUndefined();
      expect((await store.read('t', 0, 0, 10)).map((m) => m.body.toString())).toEqual(['first']);
    });

    it('a transaction put before a restart is committed from disk', async () => {
      let store = await temp.openStore(clock);
      await store.createTopic({ name: 't', messageType: 'TRANSACTION', queueCount: 1 });
      await store.putHalf(half('t', 'TX-RESTART', Buffer.from('kept')), 60_000);
      await store.close();
      store = await temp.openStore(clock);
      expect(store.halfCacheStats.entries).toBe(0);
      expect((await store.endTransaction('TX-RESTART', 'COMMIT', 'CLIENT')).kind).toBe('applied');
      expect((await store.read('t', 0, 0, 1))[0]!.body.toString()).toBe('kept');
    });

    it('a cache of 0 bytes keeps nothing and transactions work as without it', async () => {
      const store = await temp.openStore(clock, { halfCacheBytes: 0 });
      await store.createTopic({ name: 't', messageType: 'TRANSACTION', queueCount: 1 });
      await store.putHalf(half('t', 'TX-0'), 60_000);
      expect(store.halfCacheStats.entries).toBe(0);
      expect((await store.endTransaction('TX-0', 'COMMIT', 'CLIENT')).kind).toBe('applied');
      expect(await store.read('t', 0, 0, 1)).toHaveLength(1);
    });
  });
});
