// Contract section "counters": check answers are counted by the store: a SERVER_CHECK decision
// counts as one (other sources do not), and recordCheckAnswer counts an answer that decided
// nothing, leaving the transaction pending with its check answered.
import { describe, expect, it } from 'vitest';
import { SECOND, useStore, type ContractTarget } from './helpers.js';

export function countersContract(target: ContractTarget): void {
  describe('counters', () => {
    const f = useStore(target);

    it('a SERVER_CHECK decision counts as a check answer; CLIENT, ADMIN and POLICY decisions do not', async () => {
      const { store } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      for (const id of ['TX-S1', 'TX-S2', 'TX-C', 'TX-A', 'TX-P']) await store.putHalf(f.half(t, id), 0);
      await f.claim(t);
      await store.endTransaction('TX-S1', 'COMMIT', 'SERVER_CHECK');
      await store.endTransaction('TX-S2', 'ROLLBACK', 'SERVER_CHECK');
      await store.endTransaction('TX-C', 'COMMIT', 'CLIENT');
      await store.endTransaction('TX-A', 'ROLLBACK', 'ADMIN');
      await store.endTransaction('TX-P', 'ROLLBACK', 'POLICY');
      expect(await store.transactionCounters()).toEqual({ pending: 0, abandoned: 0, committed: 2, rolledBack: 3, checksSent: 5, checksAnswered: 2 });
    });

    it('recordCheckAnswer counts an answer that decided nothing; the transaction stays pending, its check answered', async () => {
      const { store } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-U'), 0);
      await f.claim(t);
      const claimed = await store.getHalf('TX-U');
      expect(claimed).toMatchObject({ state: 'PENDING', checkCount: 1, awaitingAnswer: true });
      await store.recordCheckAnswer('TX-U', 30 * SECOND);
      const answered = await store.getHalf('TX-U');
      expect(answered).toMatchObject({ state: 'PENDING', checkCount: 1, nextCheckAtMs: claimed!.lastCheckAtMs! + 30 * SECOND });
      expect(answered?.awaitingAnswer).toBeUndefined();
      // A repeated answer to the same check changes nothing but the counter.
      await store.recordCheckAnswer('TX-U', 5 * SECOND);
      expect(await store.getHalf('TX-U')).toEqual(answered);
      expect(await store.getDecision('TX-U')).toBeUndefined();
      expect(await store.transactionCounters()).toEqual({ pending: 1, abandoned: 0, committed: 0, rolledBack: 0, checksSent: 1, checksAnswered: 2 });
    });
  });
}
