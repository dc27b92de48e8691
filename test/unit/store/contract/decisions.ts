// Contract section "decisions": findDecisions returns the decisions of a key newest first and
// respects its limit; purgeDecisions deletes only decisions made at least the given time ago,
// oldest first, at most `limit` per call, and reports whether more are left.
import { describe, expect, it } from 'vitest';
import { FIRST_CHECK_MS, makeMessage, SECOND, useStore, type ContractTarget } from './helpers.js';

export function decisionsContract(target: ContractTarget): void {
  describe('decisions', () => {
    const f = useStore(target);

    /** Decides the transactions one second apart, in the given order (not their ids' order). */
    async function decideInOrder(ids: string[], keys: string[] = ['order-1']): Promise<void> {
      const t = await f.topic('tx', 'TRANSACTION');
      for (const id of ids) {
        await f.store.putHalf(f.half(t, id, { message: makeMessage(t, { messageType: 'TRANSACTION', messageId: id, keys }) }), FIRST_CHECK_MS);
      }
      for (const [i, id] of ids.entries()) {
        if (i > 0) f.clock.advance(SECOND);
        await f.store.endTransaction(id, i % 2 === 0 ? 'COMMIT' : 'ROLLBACK', 'CLIENT');
      }
    }

    it('findDecisions returns the newest first and respects the limit', async () => {
      const { store } = f;
      const order = ['TX-E', 'TX-A', 'TX-D', 'TX-B', 'TX-C'];
      await decideInOrder(order);
      const found = await store.findDecisions({ key: 'order-1', limit: 10 });
      expect(found.map((d) => d.transactionId)).toEqual([...order].reverse());
      expect(found.map((d) => d.decidedAtMs)).toEqual([...found.map((d) => d.decidedAtMs)].sort((a, b) => b - a));
      expect((await store.findDecisions({ key: 'order-1', limit: 2 })).map((d) => d.transactionId)).toEqual(['TX-C', 'TX-B']);
      // The limit applies after the filters.
      expect((await store.findDecisions({ key: 'order-1', state: 'ROLLED_BACK', limit: 1 })).map((d) => d.transactionId)).toEqual(['TX-B']);
    });

    it('purgeDecisions deletes only decisions at least the given age old, oldest first, and reports more', async () => {
      const { store, clock } = f;
      // Decided at t0, t0+1s, t0+2s, t0+3s; ids in another order than their decision times.
      await decideInOrder(['TX-Z', 'TX-A', 'TX-M', 'TX-B']);
      clock.advance(SECOND); // now t0+4s: ages 4, 3, 2 and 1 s
      const left = async (): Promise<string[]> => {
        const ids: string[] = [];
        for (const id of ['TX-Z', 'TX-A', 'TX-M', 'TX-B']) if (await store.getDecision(id)) ids.push(id);
        return ids;
      };
      expect(await store.purgeDecisions(2 * SECOND + 1, 1)).toEqual({ deleted: 1, more: true });
      expect(await left()).toEqual(['TX-A', 'TX-M', 'TX-B']); // the oldest went first
      expect(await store.purgeDecisions(2 * SECOND + 1, 10)).toEqual({ deleted: 1, more: false });
      expect(await left()).toEqual(['TX-M', 'TX-B']);
      expect(await store.purgeDecisions(2 * SECOND + 1, 10)).toEqual({ deleted: 0, more: false });
      // "At least": a decision exactly that old goes too.
      expect(await store.purgeDecisions(2 * SECOND, 10)).toEqual({ deleted: 1, more: false });
      expect(await left()).toEqual(['TX-B']);
      expect((await store.findDecisions({ key: 'order-1', limit: 10 })).map((d) => d.transactionId)).toEqual(['TX-B']);
      // A purged decision is forgotten: its transaction is unknown now.
      expect(await store.endTransaction('TX-Z', 'COMMIT', 'CLIENT')).toEqual({ kind: 'unknown' });
    });

    it('purgeDecisions leaves pending and abandoned transactions alone', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-PENDING'), FIRST_CHECK_MS);
      await store.putHalf(f.half(t, 'TX-KEPT'), FIRST_CHECK_MS);
      await store.abandonTransaction('TX-KEPT', 'kept');
      clock.advance(3600 * SECOND);
      expect(await store.purgeDecisions(0, 10)).toEqual({ deleted: 0, more: false });
      expect((await store.getHalf('TX-PENDING'))?.state).toBe('PENDING');
      expect((await store.getHalf('TX-KEPT'))?.state).toBe('ABANDONED');
    });
  });
}
