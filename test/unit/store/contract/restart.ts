// Contract section "restart": a new store instance over the same data (harness.reopen) keeps
// topics, groups, committed messages and their offsets, half messages with their check state,
// decisions and counters (check answers included), consumer offsets and in-flight deliveries
// (their handles still work), FIFO state, auto-renewed deliveries, the offsets of a queue
// emptied by retention, and scheduled messages. Runs when the store declares itself persistent.
import { describe, expect, it } from 'vitest';
import type { MessageInput } from '../../../../src/domain/messages.js';
import { bodies, deliveredBodies, FIRST_CHECK_MS, makeMessage, SECOND, useStore, type ContractTarget } from './helpers.js';

export function restartContract(target: ContractTarget): void {
  describe.runIf(target.capabilities.persistent)('restart (persistent stores)', () => {
    const f = useStore(target);

    it('keeps topics, groups, committed messages and continues offsets', async () => {
      let store = f.store;
      const t = await f.topic('durable', 'FIFO');
      await store.createGroup({ name: 'cg', fifo: true, maxDeliveryAttempts: 5 });
      await f.appendBodies(t, 'a', 'b');
      const topicRecord = await store.getTopic(t);
      store = await f.restart();
      expect(await store.getTopic(t)).toEqual(topicRecord);
      expect(await store.getGroup('cg')).toMatchObject({ name: 'cg', fifo: true, maxDeliveryAttempts: 5 });
      expect(bodies(await f.readAll(t))).toEqual(['a', 'b']);
      expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 0, maxOffset: 2 }]);
      const [c] = await f.appendBodies(t, 'c');
      expect(c!.offset).toBe(2);
    });

    it('keeps half messages, their check state, decisions and counters', async () => {
      let store = f.store;
      const { clock } = f;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-P'), 0);
      await store.putHalf(f.half(t, 'TX-A'), 0);
      await store.putHalf(f.half(t, 'TX-C'), FIRST_CHECK_MS);
      await f.claim(t, { targets: ['c1'], nextCheckInMs: 5 * SECOND });
      await store.abandonTransaction('TX-A', 'kept');
      await store.endTransaction('TX-C', 'COMMIT', 'CLIENT');
      const pending = await store.getHalf('TX-P');
      const decision = await store.getDecision('TX-C');
      const counters = await store.transactionCounters();
      store = await f.restart();
      expect(await store.getHalf('TX-P')).toEqual(pending);
      expect((await store.getHalf('TX-A'))?.state).toBe('ABANDONED');
      expect(await store.getDecision('TX-C')).toEqual(decision);
      expect(await store.endTransaction('TX-C', 'ROLLBACK', 'SERVER_CHECK')).toEqual({ kind: 'conflict', decision });
      expect(await store.transactionCounters()).toMatchObject({
        pending: 1,
        abandoned: 1,
        committed: counters.committed,
        rolledBack: counters.rolledBack,
        checksSent: counters.checksSent,
      });
      expect(await store.pendingProducerGroups()).toEqual([t]);
      expect(await store.nextCheckDueInMs(t)).toBe(5 * SECOND);
      clock.advance(5 * SECOND);
      expect((await f.claim(t)).claimed.map((h) => [h.transactionId, h.checkCount])).toEqual([['TX-P', 2]]);
      expect((await store.endTransaction('TX-P', 'COMMIT', 'CLIENT')).kind).toBe('applied');
      expect(bodies(await f.readAll(t))).toEqual(['tx-TX-C', 'tx-TX-P']);
    });

    it('keeps consumer offsets and in-flight deliveries, whose handles still work', async () => {
      let store = f.store;
      const { clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b', 'c', 'd');
      const [a, b] = await f.receive('g', t, { maxMessages: 3, invisibleDurationMs: 10 * SECOND });
      await store.ack('g', t, a!.receiptHandle);
      store = await f.restart();
      expect(await store.nextRedeliveryInMs('g', t)).toBe(f.inMs(b!.invisibleUntilMs));
      expect(await store.groupStats('g')).toEqual([{ group: 'g', topic: t, consumedOffset: 3, lag: 1, inFlight: 2 }]);
      // No redelivery before the deadline; new messages continue from the offset.
      expect(deliveredBodies(await f.receive('g', t))).toEqual(['d']);
      expect(await store.ack('g', t, b!.receiptHandle)).toBe('ok');
      clock.advance(10 * SECOND);
      const again = await f.receive('g', t);
      expect(again.map((d) => [d.message.body.toString(), d.deliveryAttempt])).toEqual([['c', 2]]);
      expect(await store.ack('g', t, a!.receiptHandle)).toBe('stale');
    });

    it('keeps FIFO ordering state', async () => {
      let store = f.store;
      const t = await f.topic('fifo', 'FIFO');
      const m = (body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: 'A', body: Buffer.from(body) });
      await store.append(t, 0, [m('a1'), m('a2'), m('a3')]);
      const [a1] = await f.receive('g', t, { fifo: true });
      expect(a1!.message.body.toString()).toBe('a1');
      store = await f.restart();
      expect(await f.receive('g', t, { fifo: true })).toEqual([]);
      expect(await store.ack('g', t, a1!.receiptHandle)).toBe('ok');
      expect(deliveredBodies(await f.receive('g', t, { fifo: true }))).toEqual(['a2']);
    });

    it('keeps auto-renewed deliveries (listed, renewable, ackable with the first handle)', async () => {
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const [d] = await f.receive('g', t, { autoRenew: { clientId: 'push-1', brokerId: 'broker-1' }, invisibleDurationMs: 60 * SECOND });
      const store = await f.restart();
      expect((await store.listAutoRenewed('broker-1')).map((x) => [x.receiptHandle, x.clientId])).toEqual([[d!.receiptHandle, 'push-1']]);
      expect(await store.renewInvisibility('g', t, d!.receiptHandle, 60 * SECOND)).not.toBe('stale');
      expect(await store.ack('g', t, d!.receiptHandle)).toBe('ok');
    });

    it('never reuses offsets of a queue emptied by retention', async () => {
      let store = f.store;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b');
      await store.purgeQueue(t, 0, { olderThanMs: 0, maxMessages: 10 });
      store = await f.restart();
      expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 2, maxOffset: 2 }]);
      const [c] = await f.appendBodies(t, 'c');
      expect(c!.offset).toBe(2);
      expect(deliveredBodies(await f.receive('new-group', t))).toEqual(['c']);
    });

    it('keeps scheduled messages and their sequence', async () => {
      let store = f.store;
      const { clock } = f;
      const t = await f.topic('delayed', 'DELAY');
      const [seq] = await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + SECOND, body: Buffer.from('later') })]);
      store = await f.restart();
      expect(await store.nextScheduledInMs()).toBe(SECOND);
      const [next] = await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + 2 * SECOND, body: Buffer.from('latest') })]);
      expect(next!).toBeGreaterThan(seq!);
      clock.advance(2 * SECOND);
      expect(await store.promoteDueScheduled(10)).toBe(2);
      expect(bodies(await f.readAll(t))).toEqual(['later', 'latest']);
    });

    it('keeps the check answers counted by SERVER_CHECK decisions and recordCheckAnswer', async () => {
      let store = f.store;
      const t = await f.topic('tx', 'TRANSACTION');
      await store.putHalf(f.half(t, 'TX-U'), 0);
      await store.putHalf(f.half(t, 'TX-S'), 0);
      await f.claim(t);
      await store.endTransaction('TX-S', 'COMMIT', 'SERVER_CHECK');
      await store.recordCheckAnswer('TX-U', 60 * SECOND); // UNKNOWN, the last write before the restart
      expect(await store.transactionCounters()).toMatchObject({ checksSent: 2, checksAnswered: 2 });
      const answered = await store.getHalf('TX-U');
      store = await f.restart();
      expect(await store.transactionCounters()).toMatchObject({ pending: 1, committed: 1, checksSent: 2, checksAnswered: 2 });
      // The answer is kept with the transaction too: no longer awaiting one, due an interval after its check.
      expect(await store.getHalf('TX-U')).toEqual(answered);
      expect(answered?.awaitingAnswer).toBeUndefined();
    });
  });
}
