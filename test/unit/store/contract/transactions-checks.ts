// Contract section "transactions: checks and claims": claiming due transactions (counted, moved
// forward, recorded against the target chosen by the domain rule chooseCheckTarget among
// `targets`), the limit, no double claims under concurrency, a consistent due index, used-up
// budgets (check count and age) reported as exhausted, releasing a claim, abandoning and
// re-arming, and nextCheckDueInMs / pendingProducerGroups.
import { describe, expect, it } from 'vitest';
import { budgetExhausted, chooseCheckTarget } from '../../../../src/domain/transactions.js';
import { BUDGET, bodies, range, SECOND, useStore, type ContractTarget } from './helpers.js';

export function transactionChecksContract(target: ContractTarget): void {
  describe('transactions: checks and claims', () => {
    const f = useStore(target);

    it('claims only due transactions, counting the check and moving the next due time', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      const start = clock.now();
      await store.putHalf(f.half(t, 'TX1'), SECOND);
      await store.putHalf(f.half(t, 'TX2'), 2 * SECOND);
      await store.putHalf(f.half('other-group', 'TX3', { producerGroup: 'other-group' }), SECOND);
      expect(await store.nextCheckDueInMs(t)).toBe(f.inMs(start + SECOND));
      expect(await store.nextCheckDueInMs('nobody')).toBeUndefined();

      expect(await f.claim(t)).toEqual({ claimed: [], exhausted: [], quarantined: [] });
      clock.advance(SECOND);
      const first = await f.claim(t, { nextCheckInMs: 5 * SECOND, targets: ['client-A'] });
      expect(first.exhausted).toEqual([]);
      expect(first.claimed.map((h) => h.transactionId)).toEqual(['TX1']);
      const claimed = first.claimed[0]!;
      expect(claimed).toMatchObject({
        state: 'PENDING',
        checkCount: 1,
        lastCheckAtMs: start + SECOND,
        // Due at start + 1 s (first check after SECOND), claimed then: it went out on time.
        lastCheckDueAtMs: start + SECOND,
        lastCheckClientId: 'client-A',
        nextCheckAtMs: start + 6 * SECOND,
        producerGroup: t,
      });
      expect(claimed.message.body.toString()).toBe('tx-TX1');
      expect(await store.getHalf('TX1')).toEqual(claimed);
      expect((await store.transactionCounters()).checksSent).toBe(1);
      expect(await store.nextCheckDueInMs(t)).toBe(f.inMs(start + 2 * SECOND));

      // Claimed transactions are not due again until their new time.
      expect((await f.claim(t)).claimed).toEqual([]);
      clock.advance(SECOND);
      expect((await f.claim(t, { nextCheckInMs: 5 * SECOND })).claimed.map((h) => h.transactionId)).toEqual(['TX2']);
      clock.advance(4 * SECOND);
      expect((await f.claim(t, { nextCheckInMs: 5 * SECOND })).claimed.map((h) => [h.transactionId, h.checkCount])).toEqual([['TX1', 2]]);
      // The other producer group was never touched.
      expect((await store.getHalf('TX3'))?.checkCount).toBe(0);
    });

    it('claims at most `limit` transactions per call', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      for (let i = 0; i < 5; i++) await store.putHalf(f.half(t, `TX-L${i}`), i);
      clock.advance(SECOND);
      const a = await f.claim(t, { limit: 2 });
      expect(a.claimed).toHaveLength(2);
      const b = await f.claim(t, { limit: 10 });
      expect(b.claimed).toHaveLength(3);
      const ids = [...a.claimed, ...b.claimed].map((h) => h.transactionId).sort();
      expect(ids).toEqual(['TX-L0', 'TX-L1', 'TX-L2', 'TX-L3', 'TX-L4']);
    });

    it('concurrent claims never claim one transaction twice', async () => {
      const { store } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      for (let i = 0; i < 10; i++) await store.putHalf(f.half(t, `TX-CC${i}`), 0);
      const results = await Promise.all(range(4).map((i) => f.claim(t, { targets: [`checker-${i}`] })));
      const ids = results.flatMap((r) => r.claimed.map((h) => h.transactionId));
      expect(ids.sort()).toEqual(
        range(10)
          .map((i) => `TX-CC${i}`)
          .sort(),
      );
      for (let i = 0; i < 10; i++) expect((await store.getHalf(`TX-CC${i}`))?.checkCount).toBe(1);
      expect((await store.transactionCounters()).checksSent).toBe(10);
    });

    it('the due index stays consistent when claims race with releases and decisions', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      const n = 24;
      for (let i = 0; i < n; i++) await store.putHalf(f.half(t, `TX-IX${i}`), i);
      clock.advance(1000); // all overdue, each by a different time
      for (let round = 0; round < 3; round++) {
        const ops: Promise<unknown>[] = [f.claim(t, { nextCheckInMs: 50 })];
        for (let i = round; i < n; i += 3) ops.push(store.releaseCheck(`TX-IX${i}`));
        ops.push(f.claim(t, { nextCheckInMs: 70 }));
        await Promise.all(ops);
        clock.advance(100);
      }
      const pending = await store.listTransactions({ state: 'PENDING' });
      expect(pending).toHaveLength(n);
      expect(await store.nextCheckDueInMs(t)).toBe(Math.max(0, f.inMs(Math.min(...pending.map((h) => h.nextCheckAtMs)))));
      // Every transaction is claimable exactly once when due, and nothing else is.
      clock.advance(10_000);
      const { claimed } = await f.claim(t, { nextCheckInMs: 60 * SECOND });
      expect(claimed.map((h) => h.transactionId).sort()).toEqual(
        range(n)
          .map((i) => `TX-IX${i}`)
          .sort(),
      );
      expect(await store.nextCheckDueInMs(t)).toBe(60 * SECOND);
      for (let i = 0; i < n; i++) await store.endTransaction(`TX-IX${i}`, i % 2 ? 'COMMIT' : 'ROLLBACK', 'CLIENT');
      expect(await store.nextCheckDueInMs(t)).toBeUndefined();
      clock.advance(120 * SECOND);
      expect(await f.claim(t)).toEqual({ claimed: [], exhausted: [], quarantined: [] });
    });

    it('reports transactions whose check budget is used up as exhausted instead of claiming them', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-X'), 0);
      const req = { budget: { ...BUDGET, checkMax: 2 }, nextCheckInMs: SECOND };
      expect((await f.claim(t, req)).claimed).toHaveLength(1);
      clock.advance(SECOND);
      expect((await f.claim(t, req)).claimed).toHaveLength(1);
      clock.advance(SECOND);
      const third = await f.claim(t, req);
      expect(third.claimed).toEqual([]);
      expect(third.exhausted.map(({ half }) => [half.transactionId, half.checkCount, half.state])).toEqual([['TX-X', 2, 'PENDING']]);
      expect(third.exhausted[0]!.half.message.body.toString()).toBe('tx-TX-X');
      const after = await store.getHalf('TX-X');
      expect(after?.checkCount).toBe(2);
      expect(third.exhausted[0]!.reason).toBe(budgetExhausted(after!, clock.now(), req.budget));
      expect((await store.transactionCounters()).checksSent).toBe(2);
      // The caller has not applied a policy yet: still reported on the next round.
      expect((await f.claim(t, req)).exhausted.map((e) => e.half.transactionId)).toEqual(['TX-X']);
    });

    it('the check goes to a target chosen by the domain rule, which sees the previous check; with no target nothing is claimed', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-F', { senderClientId: 'sender' }), 0);
      // Nobody asked yet: the sender is asked first.
      const first = await f.claim(t, { nextCheckInMs: SECOND, targets: ['other-client', 'sender'] });
      expect(first.claimed.map((h) => h.lastCheckClientId)).toEqual(['sender']);
      clock.advance(SECOND);
      const before = await store.getHalf('TX-F');
      // No target (no live producer): left unclaimed and unchanged.
      const second = await f.claim(t, { nextCheckInMs: SECOND, targets: [] });
      expect(second).toEqual({ claimed: [], exhausted: [], quarantined: [] });
      expect(await store.getHalf('TX-F')).toEqual(before);
      expect((await store.transactionCounters()).checksSent).toBe(1);
      // Still due: the next round sees that the sender was asked last and asks another producer.
      const targets = ['sender', 'other-client'];
      expect(chooseCheckTarget(before!, targets)).toBe('other-client');
      const third = await f.claim(t, { nextCheckInMs: SECOND, targets });
      expect(third.claimed.map((h) => [h.checkCount, h.lastCheckClientId])).toEqual([[2, 'other-client']]);
    });

    it('with a timeout budget, unanswered checks are counted apart, sent again to another target after the answer timeout, and exhaust the timeout budget', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-T', { senderClientId: 'gone' }), 0);
      const budget = { ...BUDGET, checkMax: 2, timeoutMax: 3 };
      const req = { budget, nextCheckInMs: 60 * SECOND, answerTimeoutMs: 2 * SECOND, targets: ['silent-1', 'silent-2', 'honest'] };
      // The best-ranked target is asked; with others to ask, due again after the answer timeout.
      const first = await f.claim(t, { ...req, ranks: { 'silent-1': 0, 'silent-2': 1, honest: 1 } });
      expect(first.claimed.map((h) => [h.lastCheckClientId, h.nextCheckAtMs, h.awaitingAnswer])).toEqual([['silent-1', clock.now() + 2 * SECOND, true]]);
      clock.advance(2 * SECOND);
      // Unanswered: a timeout, and another target (silent-1 was asked last) is asked.
      const second = await f.claim(t, { ...req, ranks: { 'silent-1': 2, 'silent-2': 1, honest: 0 } });
      expect(second.claimed.map((h) => [h.checkCount, h.timeouts, h.lastCheckClientId])).toEqual([[2, 1, 'honest']]);
      // Answered UNKNOWN: not a timeout, due an interval after that check.
      await store.recordCheckAnswer('TX-T', 60 * SECOND);
      clock.advance(2 * SECOND);
      expect((await f.claim(t, req)).claimed).toEqual([]);
      clock.advance(58 * SECOND);
      // The target that answered is asked again (it is not avoided, it answered).
      const third = await f.claim(t, { ...req, ranks: { honest: 0 } });
      expect(third.claimed.map((h) => [h.checkCount, h.timeouts, h.lastCheckClientId])).toEqual([[3, 1, 'honest']]);
      clock.advance(2 * SECOND);
      // Unanswered again: another timeout. Alone, a target's silence is an UNKNOWN (as RocketMQ
      // counts every check), asked again after the interval; so is the silence of one that answers.
      const alone = await f.claim(t, { ...req, targets: ['honest'] });
      expect(alone.claimed.map((h) => [h.timeouts, h.silenceIsUnknown, h.nextCheckAtMs])).toEqual([[2, true, clock.now() + 60 * SECOND]]);
      clock.advance(60 * SECOND);
      // 2 answered (one said, one silent), 2 timed out: the answered budget (checkMax 2) is used up.
      const last = await f.claim(t, req);
      expect(last.claimed).toEqual([]);
      expect(last.exhausted.map((e) => e.reason)).toEqual(['no decision after 2 checks answered UNKNOWN (transactionCheckMax 2)']);
      const after = await store.getHalf('TX-T');
      expect(after).toMatchObject({ checkCount: 4, timeouts: 2, awaitingAnswer: true, silenceIsUnknown: true });
      expect(last.exhausted[0]!.reason).toBe(budgetExhausted(after!, clock.now(), budget));
    });

    it('silent targets alone run a transaction into the timeout budget, not the answered one', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-S', { senderClientId: 'gone' }), 0);
      const budget = { ...BUDGET, checkMax: 1, timeoutMax: 3 };
      const req = { budget, nextCheckInMs: 60 * SECOND, answerTimeoutMs: SECOND, targets: ['silent-1', 'silent-2'] };
      for (let i = 0; i < 3; i++) {
        expect((await f.claim(t, req)).claimed).toHaveLength(1);
        clock.advance(SECOND);
      }
      const last = await f.claim(t, req);
      expect(last.exhausted.map((e) => e.reason)).toEqual(['no answer to 3 checks (transactionCheckTimeoutMax 3)']);
      expect(await store.getHalf('TX-S')).toMatchObject({ checkCount: 3, timeouts: 2, awaitingAnswer: true });
    });

    it('releaseCheck undoes a claim and makes the transaction due again now', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-REL'), 0);
      const { claimed } = await f.claim(t, { nextCheckInMs: 60 * SECOND });
      expect(claimed[0]!.checkCount).toBe(1);
      clock.advance(500);
      await store.releaseCheck('TX-REL');
      const released = await store.getHalf('TX-REL');
      expect(released).toMatchObject({ checkCount: 0, nextCheckAtMs: clock.now(), state: 'PENDING' });
      expect(await store.nextCheckDueInMs(t)).toBe(0);
      expect((await store.transactionCounters()).checksSent).toBe(0);
      expect((await f.claim(t)).claimed.map((h) => h.checkCount)).toEqual([1]);
      // Releasing a decided or unknown transaction is a no-op.
      await store.endTransaction('TX-REL', 'ROLLBACK', 'CLIENT');
      await store.releaseCheck('TX-REL');
      await store.releaseCheck('TX-none');
      expect(await store.getHalf('TX-REL')).toBeUndefined();
      expect(await store.nextCheckDueInMs(t)).toBeUndefined();
    });

    it('abandonTransaction stops checks but keeps the half message for a manual decision', async () => {
      const { store, clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-AB'), 0);
      await store.putHalf(f.half(t, 'TX-OK'), 10 * SECOND);
      expect(await store.abandonTransaction('TX-AB', 'check budget used up')).toBe(true);
      expect(await store.getHalf('TX-AB')).toMatchObject({ state: 'ABANDONED', abandonReason: 'check budget used up' });
      expect(await store.abandonTransaction('TX-AB', 'again')).toBe(false);
      expect(await store.abandonTransaction('TX-none', 'x')).toBe(false);
      expect(await store.transactionCounters()).toMatchObject({ pending: 1, abandoned: 1 });
      expect(await store.nextCheckDueInMs(t)).toBe(10 * SECOND);
      clock.advance(60 * SECOND);
      const due = await f.claim(t);
      expect(due.claimed.map((h) => h.transactionId)).toEqual(['TX-OK']);
      expect(due.exhausted).toEqual([]);

      // An admin can still commit it.
      const result = await store.endTransaction('TX-AB', 'COMMIT', 'ADMIN', undefined, 'manual');
      expect(result.kind).toBe('applied');
      expect(bodies(await f.readAll(t))).toEqual(['tx-TX-AB']);
      expect(await store.transactionCounters()).toMatchObject({ pending: 1, abandoned: 0, committed: 1 });
      await store.endTransaction('TX-OK', 'ROLLBACK', 'CLIENT');
      expect(await store.transactionCounters()).toMatchObject({ pending: 0, abandoned: 0, rolledBack: 1 });
    });

    it('nextCheckDueInMs and pendingProducerGroups follow pending transactions only', async () => {
      const { store } = f;
      await f.topic('pa', 'TRANSACTION');
      await f.topic('pb', 'TRANSACTION');
      expect(await store.pendingProducerGroups()).toEqual([]);
      await store.putHalf(f.half('pa', 'TX-PA1'), 300);
      await store.putHalf(f.half('pa', 'TX-PA2'), 100);
      await store.putHalf(f.half('pb', 'TX-PB'), 200);
      expect((await store.pendingProducerGroups()).sort()).toEqual(['pa', 'pb']);
      expect(await store.nextCheckDueInMs('pa')).toBe(100);
      expect(await store.nextCheckDueInMs('pb')).toBe(200);
      await store.endTransaction('TX-PA2', 'COMMIT', 'CLIENT');
      expect(await store.nextCheckDueInMs('pa')).toBe(300);
      await store.abandonTransaction('TX-PB', 'policy');
      expect(await store.pendingProducerGroups()).toEqual(['pa']);
      expect(await store.nextCheckDueInMs('pb')).toBeUndefined();
      await store.endTransaction('TX-PA1', 'ROLLBACK', 'CLIENT');
      expect(await store.pendingProducerGroups()).toEqual([]);
      expect(await store.nextCheckDueInMs('pa')).toBeUndefined();
    });

    it('rearmTransaction makes an ABANDONED transaction PENDING with a fresh budget, due the given time from now', async () => {
      const { store, clock } = f;
      await f.topic('ra', 'TRANSACTION');
      await store.putHalf(f.half('ra', 'TX-RA'), 0);
      expect(await store.rearmTransaction('TX-RA', 0)).toBe(false); // pending: nothing to do
      await f.claim('ra');
      await store.abandonTransaction('TX-RA', 'kept');
      expect(await store.transactionCounters()).toMatchObject({ pending: 0, abandoned: 1 });
      expect(await store.rearmTransaction('TX-RA', 500)).toBe(true);
      expect(await store.getHalf('TX-RA')).toMatchObject({ state: 'PENDING', checkCount: 0, nextCheckAtMs: clock.now() + 500 });
      expect((await store.getHalf('TX-RA'))!.abandonReason).toBeUndefined();
      expect(await store.transactionCounters()).toMatchObject({ pending: 1, abandoned: 0 });
      expect(await store.nextCheckDueInMs('ra')).toBe(500);
      expect(await store.rearmTransaction('unknown', 0)).toBe(false);
    });

    it('an age budget is used up by the time since the half message was received, not by checks', async () => {
      const { store, clock } = f;
      const t = await f.topic('http', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-AGE', { budget: 'age' }), 0);
      await store.putHalf(f.half(t, 'TX-CNT'), 0);
      const budget = { checkMax: 1, maxAgeMs: 10 * SECOND };
      const round = async (): Promise<{ claimed: string[]; exhausted: string[] }> => {
        const r = await f.claim(t, { budget, nextCheckInMs: 3 * SECOND });
        return { claimed: r.claimed.map((h) => h.transactionId).sort(), exhausted: r.exhausted.map((e) => e.half.transactionId).sort() };
      };
      expect(await round()).toEqual({ claimed: ['TX-AGE', 'TX-CNT'], exhausted: [] });
      for (let i = 0; i < 3; i++) {
        clock.advance(3 * SECOND);
        expect(await round(), `after ${3 * (i + 1)} s`).toEqual({ claimed: ['TX-AGE'], exhausted: ['TX-CNT'] });
      }
      clock.advance(3 * SECOND); // 12 s after it was received
      const last = await f.claim(t, { budget, nextCheckInMs: 3 * SECOND });
      expect(last.claimed).toEqual([]);
      const aged = last.exhausted.find((e) => e.half.transactionId === 'TX-AGE');
      expect(aged?.half).toMatchObject({ budget: 'age', checkCount: 4, state: 'PENDING' });
      expect(aged?.reason).toBe(budgetExhausted(aged!.half, clock.now(), budget));
    });
  });
}
