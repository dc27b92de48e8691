// Contract section "transactions: listing and audit": the check trail kept on a transaction and
// its decision (and the lookup of decisions by key), listTransactions by key, topic, state and
// limit, pendingTransactionCount, and the transaction counters over every transition.
import { describe, expect, it } from 'vitest';
import type { HalfMessage } from '../../../../src/domain/transactions.js';
import { FIRST_CHECK_MS, makeMessage, useStore, type ContractTarget } from './helpers.js';

export function transactionListingContract(target: ContractTarget): void {
  describe('transactions: listing and audit', () => {
    const f = useStore(target);

    it('keeps an audit trail: every delivered check, and the keys on the decision for a lookup by key', async () => {
      const { store, clock } = f;
      await f.topic('at', 'TRANSACTION');
      await store.putHalf(f.half('at', 'TX-AT', { message: makeMessage('at', { messageType: 'TRANSACTION', messageId: 'TX-AT', keys: ['order-9'] }) }), 0);
      const t0 = clock.now();
      await f.claim('at', { targets: ['p1'], nextCheckInMs: 1000 });
      clock.advance(1000);
      await f.claim('at', { targets: ['p2'], nextCheckInMs: 1000 });
      await store.releaseCheck('TX-AT'); // p2's check never went out
      await f.claim('at', { targets: ['p3'], nextCheckInMs: 1000 });
      expect((await store.getHalf('TX-AT'))!.checks).toEqual([
        { atMs: t0, clientId: 'p1' },
        { atMs: t0 + 1000, clientId: 'p3' },
      ]);
      expect(await store.findDecisions({ key: 'order-9', limit: 10 })).toEqual([]);
      await store.endTransaction('TX-AT', 'COMMIT', 'SERVER_CHECK');
      const [decided] = await store.findDecisions({ key: 'order-9', limit: 10 });
      expect(decided).toMatchObject({ transactionId: 'TX-AT', state: 'COMMITTED', keys: ['order-9'], checkCount: 2 });
      expect(decided!.checks).toEqual([
        { atMs: t0, clientId: 'p1' },
        { atMs: t0 + 1000, clientId: 'p3' },
      ]);
      expect(await store.findDecisions({ key: 'order-10', limit: 10 })).toEqual([]);
      expect(await store.findDecisions({ key: 'order-9', state: 'ROLLED_BACK', limit: 10 })).toEqual([]);
      expect(await store.findDecisions({ key: 'order-9', topic: 'other', limit: 10 })).toEqual([]);
      expect(await store.findDecisions({ key: 'order-9', state: 'COMMITTED', topic: 'at', limit: 10 })).toHaveLength(1);
    });

    it('listTransactions finds transactions by message key', async () => {
      const { store } = f;
      await f.topic('lk', 'TRANSACTION');
      await store.putHalf(
        f.half('lk', 'TX-K1', { message: makeMessage('lk', { messageType: 'TRANSACTION', messageId: 'TX-K1', keys: ['order-1', 'shared'] }) }),
        FIRST_CHECK_MS,
      );
      await store.putHalf(f.half('lk', 'TX-K2', { message: makeMessage('lk', { messageType: 'TRANSACTION', messageId: 'TX-K2', keys: ['shared'] }) }), FIRST_CHECK_MS);
      expect((await store.listTransactions({ key: 'order-1' })).map((h) => h.transactionId)).toEqual(['TX-K1']);
      expect((await store.listTransactions({ key: 'shared' })).map((h) => h.transactionId).sort()).toEqual(['TX-K1', 'TX-K2']);
      expect(await store.listTransactions({ key: 'none' })).toEqual([]);
    });

    it("pendingTransactionCount counts a group's PENDING transactions only", async () => {
      const { store } = f;
      await f.topic('pc', 'TRANSACTION');
      expect(await store.pendingTransactionCount('pc')).toBe(0);
      for (let i = 0; i < 3; i++) await store.putHalf(f.half('pc', `TX-PC${i}`), FIRST_CHECK_MS);
      expect(await store.pendingTransactionCount('pc')).toBe(3);
      await store.endTransaction('TX-PC0', 'COMMIT', 'CLIENT');
      await store.abandonTransaction('TX-PC1', 'kept');
      expect(await store.pendingTransactionCount('pc')).toBe(1);
      expect(await store.pendingTransactionCount('other')).toBe(0);
    });

    it('listTransactions filters by topic and state and honours the limit', async () => {
      const { store } = f;
      await f.topic('la', 'TRANSACTION');
      await f.topic('lb', 'TRANSACTION');
      for (let i = 0; i < 3; i++) await store.putHalf(f.half('la', `TX-LA${i}`), FIRST_CHECK_MS);
      for (let i = 0; i < 2; i++) await store.putHalf(f.half('lb', `TX-LB${i}`), FIRST_CHECK_MS);
      await store.abandonTransaction('TX-LA1', 'kept for an operator');
      await store.putHalf(f.half('la', 'TX-DONE'), FIRST_CHECK_MS);
      await store.endTransaction('TX-DONE', 'COMMIT', 'CLIENT');

      const ids = (hs: HalfMessage[]): string[] => hs.map((h) => h.transactionId).sort();
      expect(ids(await store.listTransactions({}))).toEqual(['TX-LA0', 'TX-LA1', 'TX-LA2', 'TX-LB0', 'TX-LB1']);
      expect(ids(await store.listTransactions({ topic: 'la' }))).toEqual(['TX-LA0', 'TX-LA1', 'TX-LA2']);
      expect(ids(await store.listTransactions({ state: 'ABANDONED' }))).toEqual(['TX-LA1']);
      expect(ids(await store.listTransactions({ state: 'PENDING', topic: 'la' }))).toEqual(['TX-LA0', 'TX-LA2']);
      expect(ids(await store.listTransactions({ topic: 'nothing' }))).toEqual([]);
      const limited = await store.listTransactions({ limit: 2 });
      expect(limited).toHaveLength(2);
      expect(limited[0]!.message.body.toString()).toMatch(/^tx-TX-L/);
    });

    it('transactionCounters count every transition, and SERVER_CHECK decisions count as check answers', async () => {
      const { store } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      expect(await store.transactionCounters()).toEqual({ pending: 0, abandoned: 0, committed: 0, rolledBack: 0, checksSent: 0, checksAnswered: 0 });
      for (let i = 0; i < 4; i++) await store.putHalf(f.half(t, `TX-N${i}`), 0);
      await f.claim(t);
      // The two SERVER_CHECK decisions below are the two answers.
      await store.endTransaction('TX-N0', 'COMMIT', 'SERVER_CHECK');
      await store.endTransaction('TX-N1', 'ROLLBACK', 'SERVER_CHECK');
      await store.abandonTransaction('TX-N2', 'max checks');
      expect(await store.transactionCounters()).toEqual({ pending: 1, abandoned: 1, committed: 1, rolledBack: 1, checksSent: 4, checksAnswered: 2 });
    });
  });
}
