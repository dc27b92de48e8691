// Contract section "transactions: put and end": storing a half message (invisible until
// decided, a repeat is a no-op), COMMIT and ROLLBACK with their decision records, the first
// decision winning (duplicate / conflict / unknown / mismatch), racing decisions, and decisions
// about transactions whose topic was deleted.
import { describe, expect, it } from 'vitest';
import { Code } from '../../../../src/errors.js';
import { expectBrokerError, FIRST_CHECK_MS, offsets, range, SECOND, useStore, type ContractTarget } from './helpers.js';

export function transactionDecisionsContract(target: ContractTarget): void {
  describe('transactions: put and end', () => {
    const f = useStore(target);

    it('stores a half message that is neither readable nor receivable', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      const input = f.half(t, 'TX1');
      await store.putHalf(input, 6 * SECOND);
      const stored = await store.getHalf('TX1');
      expect(stored).toEqual({ ...input, receivedAtMs: clock.now(), nextCheckAtMs: clock.now() + 6 * SECOND, state: 'PENDING', checkCount: 0 });
      expect(stored!.message.body.toString()).toBe('tx-TX1');
      expect(await store.getHalf('TX-unknown')).toBeUndefined();
      expect(await store.getDecision('TX1')).toBeUndefined();
      expect(await f.readAll(t)).toEqual([]);
      expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 0, maxOffset: 0 }]);
      expect(await f.receive('g', t)).toEqual([]);
      expect(await store.transactionCounters()).toMatchObject({ pending: 1, abandoned: 0, committed: 0, rolledBack: 0 });
    });

    it('putHalf of an already stored transaction (a retried send) changes nothing', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX1'), FIRST_CHECK_MS);
      clock.advance(SECOND);
      await f.claim(t, { targets: ['c'] }).then((r) => expect(r.claimed).toHaveLength(0));
      clock.advance(10 * SECOND);
      expect((await f.claim(t)).claimed).toHaveLength(1);
      const before = await store.getHalf('TX1');
      await store.putHalf(f.half(t, 'TX1'), FIRST_CHECK_MS);
      expect(await store.getHalf('TX1')).toEqual(before);
      expect((await store.transactionCounters()).pending).toBe(1);
      // Also after the decision: a late retry must not resurrect the transaction.
      await store.endTransaction('TX1', 'COMMIT', 'CLIENT');
      await store.putHalf(f.half(t, 'TX1'), FIRST_CHECK_MS);
      expect(await store.getHalf('TX1')).toBeUndefined();
      expect((await store.transactionCounters()).pending).toBe(0);
      expect(await f.readAll(t)).toHaveLength(1);
    });

    it('COMMIT appends the message with its transaction id and records the decision', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await f.appendBodies(t, 'before');
      const receivedAtMs = clock.now();
      await store.putHalf(f.half(t, 'TX-C'), FIRST_CHECK_MS);
      clock.advance(2 * SECOND);
      const result = await store.endTransaction('TX-C', 'COMMIT', 'CLIENT', { topic: t, messageId: 'TX-C' }, 'producer said so');
      expect(result.kind).toBe('applied');
      if (result.kind !== 'applied') return;
      expect(result.decision).toEqual({
        transactionId: 'TX-C',
        topic: t,
        messageId: 'TX-C',
        state: 'COMMITTED',
        source: 'CLIENT',
        reason: 'producer said so',
        receivedAtMs,
        decidedAtMs: clock.now(),
        checkCount: 0,
        offset: 1,
      });
      expect(await store.getDecision('TX-C')).toEqual(result.decision);
      expect(await store.getHalf('TX-C')).toBeUndefined();

      const [, committed] = await f.readAll(t);
      expect(committed).toMatchObject({ topic: t, offset: 1, messageId: 'TX-C', transactionId: 'TX-C', messageType: 'TRANSACTION' });
      expect(committed!.body.toString()).toBe('tx-TX-C');
      expect(committed!.storeTimestampMs).toBe(clock.now());

      const ds = await f.receive('g', t);
      expect(ds.map((d) => d.message.transactionId)).toEqual([undefined, 'TX-C']);
      expect(ds[1]!.message.body.toString()).toBe('tx-TX-C');
      expect(await store.transactionCounters()).toMatchObject({ pending: 0, committed: 1, rolledBack: 0 });
      expect(await store.pendingProducerGroups()).toEqual([]);
    });

    it('ROLLBACK discards the half message and records the decision', async () => {
      const { store } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-R'), FIRST_CHECK_MS);
      const result = await store.endTransaction('TX-R', 'ROLLBACK', 'SERVER_CHECK');
      expect(result.kind).toBe('applied');
      if (result.kind !== 'applied') return;
      expect(result.decision).toMatchObject({ transactionId: 'TX-R', state: 'ROLLED_BACK', source: 'SERVER_CHECK', topic: t, messageId: 'TX-R' });
      expect(result.decision.offset).toBeUndefined();
      expect(await store.getHalf('TX-R')).toBeUndefined();
      expect(await store.getDecision('TX-R')).toEqual(result.decision);
      expect(await f.readAll(t)).toEqual([]);
      expect(await f.receive('g', t)).toEqual([]);
      expect(await store.transactionCounters()).toMatchObject({ pending: 0, committed: 0, rolledBack: 1 });
    });

    it('the first decision wins: the same one again is a duplicate, the other one a conflict', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-A'), FIRST_CHECK_MS);
      await store.putHalf(f.half(t, 'TX-B'), FIRST_CHECK_MS);
      const committed = await store.endTransaction('TX-A', 'COMMIT', 'CLIENT');
      const rolledBack = await store.endTransaction('TX-B', 'ROLLBACK', 'CLIENT');
      if (committed.kind !== 'applied' || rolledBack.kind !== 'applied') throw new Error('expected both to apply');
      clock.advance(SECOND);

      expect(await store.endTransaction('TX-A', 'COMMIT', 'SERVER_CHECK')).toEqual({ kind: 'duplicate', decision: committed.decision });
      expect(await store.endTransaction('TX-A', 'ROLLBACK', 'ADMIN')).toEqual({ kind: 'conflict', decision: committed.decision });
      expect(await store.endTransaction('TX-B', 'ROLLBACK', 'SERVER_CHECK')).toEqual({ kind: 'duplicate', decision: rolledBack.decision });
      expect(await store.endTransaction('TX-B', 'COMMIT', 'CLIENT')).toEqual({ kind: 'conflict', decision: rolledBack.decision });

      expect(offsets(await f.readAll(t))).toEqual([0]);
      expect(await store.transactionCounters()).toMatchObject({ committed: 1, rolledBack: 1, pending: 0 });
    });

    it('an unknown transaction id is reported as unknown', async () => {
      const { store } = f;
      expect(await store.endTransaction('TX-nobody', 'COMMIT', 'CLIENT')).toEqual({ kind: 'unknown' });
      expect(await store.endTransaction('TX-nobody', 'ROLLBACK', 'CLIENT')).toEqual({ kind: 'unknown' });
    });

    it('an expectation that does not match the half message is a mismatch and decides nothing', async () => {
      const { store } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await f.topic('elsewhere', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-M'), FIRST_CHECK_MS);
      const expected = { topic: t, messageId: 'TX-M' };
      expect(await store.endTransaction('TX-M', 'COMMIT', 'CLIENT', { topic: 'elsewhere' })).toEqual({ kind: 'mismatch', expected });
      expect(await store.endTransaction('TX-M', 'COMMIT', 'CLIENT', { topic: t, messageId: 'OTHER' })).toEqual({ kind: 'mismatch', expected });
      expect(await store.endTransaction('TX-M', 'ROLLBACK', 'CLIENT', { messageId: 'OTHER' })).toEqual({ kind: 'mismatch', expected });
      expect((await store.getHalf('TX-M'))?.state).toBe('PENDING');
      expect(await store.getDecision('TX-M')).toBeUndefined();
      expect(await f.readAll('elsewhere')).toEqual([]);
      expect((await store.endTransaction('TX-M', 'COMMIT', 'CLIENT', { topic: t })).kind).toBe('applied');
    });

    it('a concurrent COMMIT and ROLLBACK of one transaction: exactly one is applied', async () => {
      const { store } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      const n = 20;
      for (let i = 0; i < n; i++) await store.putHalf(f.half(t, `TX-RACE-${i}`), FIRST_CHECK_MS);
      const pairs = await Promise.all(
        range(n).map((i) => {
          const commit = store.endTransaction(`TX-RACE-${i}`, 'COMMIT', 'CLIENT');
          const rollback = store.endTransaction(`TX-RACE-${i}`, 'ROLLBACK', 'SERVER_CHECK');
          return i % 2 === 0 ? Promise.all([commit, rollback]) : Promise.all([rollback, commit]).then(([r, c]) => [c, r] as const);
        }),
      );
      let commits = 0;
      for (const [i, [c, r]] of pairs.entries()) {
        const kinds = [c.kind, r.kind].sort();
        expect(kinds, `transaction ${i}`).toEqual(['applied', 'conflict']);
        const decision = await store.getDecision(`TX-RACE-${i}`);
        const winner = c.kind === 'applied' ? 'COMMITTED' : 'ROLLED_BACK';
        expect(decision?.state).toBe(winner);
        if (winner === 'COMMITTED') commits++;
      }
      const log = await f.readAll(t);
      expect(log).toHaveLength(commits);
      expect(offsets(log)).toEqual(range(commits));
      expect(await store.transactionCounters()).toMatchObject({ pending: 0, committed: commits, rolledBack: n - commits });
    });

    it('concurrent duplicate COMMITs append the message once', async () => {
      const { store } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-DUP'), FIRST_CHECK_MS);
      const results = await Promise.all(range(5).map(() => store.endTransaction('TX-DUP', 'COMMIT', 'CLIENT')));
      expect(results.map((r) => r.kind).sort()).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
      expect(await f.readAll(t)).toHaveLength(1);
      expect((await store.transactionCounters()).committed).toBe(1);
    });

    it('deleting a topic keeps its transactions: rollback works, commit is refused and keeps them pending', async () => {
      const { store } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-D1'), FIRST_CHECK_MS);
      await store.putHalf(f.half(t, 'TX-D2'), FIRST_CHECK_MS);
      await store.deleteTopic(t);
      expect((await store.getHalf('TX-D1'))?.state).toBe('PENDING');
      await expectBrokerError(store.endTransaction('TX-D1', 'COMMIT', 'CLIENT'), Code.TOPIC_NOT_FOUND);
      expect((await store.getHalf('TX-D1'))?.state).toBe('PENDING');
      expect(await store.getDecision('TX-D1')).toBeUndefined();
      expect(await store.transactionCounters()).toMatchObject({ pending: 2, committed: 0 });
      expect((await store.endTransaction('TX-D2', 'ROLLBACK', 'CLIENT')).kind).toBe('applied');
      expect(await store.getTopic(t)).toBeUndefined();
      expect(await f.readAll(t)).toEqual([]);
    });
  });
}
