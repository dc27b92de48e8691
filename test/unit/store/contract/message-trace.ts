// Contract section "message trace": committed messages found by message id and by key (newest
// first, in one topic if asked, a dead-letter copy too), and each message's delivery history —
// every delivery per group with its attempt, time and client, and what became of it (in flight,
// acked, redelivered, dead-lettered, dropped by an offset reset) — kept as long as the message:
// retention and topic deletion take both with it; a committed transaction's message is found too.
import { describe, expect, it } from 'vitest';
import { deadLetterTopic } from '../../../../src/domain/names.js';
import { bodies, makeMessage, SECOND, useStore, type ContractTarget } from './helpers.js';

export function messageTraceContract(target: ContractTarget): void {
  describe('message trace', () => {
    const f = useStore(target);

    it('finds committed messages by id and by key, newest first, in one topic if asked', async () => {
      const { store, clock } = f;
      const a = await f.topic('trace-a');
      const b = await f.topic('trace-b');
      const [first] = await store.append(a, 0, [makeMessage(a, { messageId: 'ID-1', keys: ['order-7', 'k2'], body: Buffer.from('one') })]);
      clock.advance(SECOND);
      await store.append(a, 0, [makeMessage(a, { keys: ['order-7'], body: Buffer.from('two') }), makeMessage(a, { keys: ['other'], body: Buffer.from('x') })]);
      clock.advance(SECOND);
      await store.append(b, 0, [makeMessage(b, { keys: ['order-7'], body: Buffer.from('three') })]);

      const byId = await store.findMessages({ messageId: 'ID-1', limit: 10 });
      expect(byId).toEqual([first]);
      expect(await store.findMessages({ messageId: 'ID-1', topic: b, limit: 10 })).toEqual([]);
      expect(await store.findMessages({ messageId: 'nope', limit: 10 })).toEqual([]);
      expect(bodies(await store.findMessages({ key: 'order-7', limit: 10 }))).toEqual(['three', 'two', 'one']);
      expect(bodies(await store.findMessages({ key: 'order-7', limit: 2 }))).toEqual(['three', 'two']);
      expect(bodies(await store.findMessages({ key: 'order-7', topic: a, limit: 10 }))).toEqual(['two', 'one']);
      expect(bodies(await store.findMessages({ key: 'k2', limit: 10 }))).toEqual(['one']);
    });

    it('records each delivery per group with its client, and its ack', async () => {
      const { store, clock } = f;
      const t = await f.topic('trace');
      const [m] = await f.appendBodies(t, 'traced');
      const t0 = clock.now();
      const [d1] = await f.receive('g1', t, { clientId: 'client-A' });
      clock.advance(SECOND);
      const [d2] = await f.receive('g2', t);
      expect(await store.deliveryHistory(t, 0, m!.offset)).toEqual([
        { group: 'g1', attempt: 1, deliveredAtMs: t0, clientId: 'client-A', outcome: 'IN_FLIGHT' },
        { group: 'g2', attempt: 1, deliveredAtMs: t0 + SECOND, outcome: 'IN_FLIGHT' },
      ]);
      clock.advance(SECOND);
      expect(await store.ack('g1', t, d1!.receiptHandle)).toBe('ok');
      expect(d2).toBeDefined();
      const history = await store.deliveryHistory(t, 0, m!.offset);
      expect(history[0]).toEqual({ group: 'g1', attempt: 1, deliveredAtMs: t0, clientId: 'client-A', outcome: 'ACKED', outcomeAtMs: t0 + 2 * SECOND });
      expect(history[1]).toMatchObject({ group: 'g2', outcome: 'IN_FLIGHT' });
      expect(await store.deliveryHistory(t, 0, 99)).toEqual([]);
    });

    it('marks redelivered attempts, dead-lettering, and deliveries an offset reset dropped', async () => {
      const { store, clock } = f;
      const t = await f.topic('trace');
      const [m, n] = await f.appendBodies(t, 'retried', 'reset');
      await f.receive('g', t, { maxMessages: 1, invisibleDurationMs: SECOND, clientId: 'c1' });
      clock.advance(2 * SECOND);
      await f.receive('g', t, { maxMessages: 1, invisibleDurationMs: SECOND, clientId: 'c2' });
      expect((await store.deliveryHistory(t, 0, m!.offset)).map((h) => [h.attempt, h.clientId, h.outcome])).toEqual([
        [1, 'c1', 'REDELIVERED'],
        [2, 'c2', 'IN_FLIGHT'],
      ]);
      clock.advance(2 * SECOND);
      // Past its last attempt: dead-lettered by the next receive (which also takes the next message).
      const result = await store.receive(f.request('g', t, { maxMessages: 1, maxDeliveryAttempts: 2 }));
      expect(bodies(result.deadLettered)).toEqual(['retried']);
      const dead = await store.deliveryHistory(t, 0, m!.offset);
      expect(dead.map((h) => h.outcome)).toEqual(['REDELIVERED', 'DEAD_LETTERED']);
      expect(dead[1]!.outcomeAtMs).toBe(clock.now());
      // The dead-letter copy keeps the message id: both are found.
      const copies = await store.findMessages({ messageId: m!.messageId, limit: 10 });
      expect(copies.map((c) => c.topic).sort()).toEqual([deadLetterTopic('g'), t].sort());

      expect(result.deliveries.map((d) => d.message.offset)).toEqual([n!.offset]);
      await store.resetOffset('g', t, { kind: 'latest' });
      expect((await store.deliveryHistory(t, 0, n!.offset)).map((h) => h.outcome)).toEqual(['DROPPED']);
    });

    it('keeps the history of every attempt across a restart: in flight, redelivered, acked', async () => {
      const { clock } = f;
      let store = f.store;
      const t = await f.topic('trace');
      const [m, n] = await f.appendBodies(t, 'kept', 'later');
      const t0 = clock.now();
      await f.receive('g', t, { maxMessages: 1, invisibleDurationMs: SECOND, clientId: 'c1' });
      if (f.capabilities.persistent) store = await f.restart();
      expect(await store.deliveryHistory(t, 0, m!.offset)).toEqual([{ group: 'g', attempt: 1, deliveredAtMs: t0, clientId: 'c1', outcome: 'IN_FLIGHT' }]);
      clock.advance(2 * SECOND);
      const [again, next] = await f.receive('g', t, { maxMessages: 2, clientId: 'c2' });
      expect([again!.message.offset, next!.message.offset]).toEqual([m!.offset, n!.offset]);
      clock.advance(SECOND);
      expect(await store.ackMany('g', t, [again!.receiptHandle, next!.receiptHandle])).toEqual(['ok', 'ok']);
      if (f.capabilities.persistent) store = await f.restart();
      expect(await store.deliveryHistory(t, 0, m!.offset)).toEqual([
        { group: 'g', attempt: 1, deliveredAtMs: t0, clientId: 'c1', outcome: 'REDELIVERED' },
        { group: 'g', attempt: 2, deliveredAtMs: t0 + 2 * SECOND, clientId: 'c2', outcome: 'ACKED', outcomeAtMs: t0 + 3 * SECOND },
      ]);
      expect(await store.deliveryHistory(t, 0, n!.offset)).toEqual([
        { group: 'g', attempt: 1, deliveredAtMs: t0 + 2 * SECOND, clientId: 'c2', outcome: 'ACKED', outcomeAtMs: t0 + 3 * SECOND },
      ]);
    });

    it('records a forward to the dead-letter queue', async () => {
      const { store } = f;
      const t = await f.topic('trace');
      const [m] = await f.appendBodies(t, 'forwarded');
      const [d] = await f.receive('g', t);
      expect(await store.forwardToDeadLetter('g', t, d!.receiptHandle)).toBe('ok');
      expect((await store.deliveryHistory(t, 0, m!.offset)).map((h) => h.outcome)).toEqual(['DEAD_LETTERED']);
    });

    it('finds the message of a committed transaction', async () => {
      const { store } = f;
      const t = await f.topic('trace-tx', 'TRANSACTION');
      const half = f.half(t, 'TX-TRACE');
      half.message.keys = ['biz-1'];
      await store.putHalf(half, SECOND);
      expect(await store.findMessages({ messageId: 'TX-TRACE', limit: 10 })).toEqual([]); // hidden until decided
      expect((await store.endTransaction('TX-TRACE', 'COMMIT', 'CLIENT')).kind).toBe('applied');
      const [found] = await store.findMessages({ key: 'biz-1', limit: 10 });
      expect(found).toMatchObject({ topic: t, messageId: 'TX-TRACE', transactionId: 'TX-TRACE' });
    });

    it('drops index entries and delivery history with the message (retention, topic deletion)', async () => {
      const { store, clock } = f;
      const t = await f.topic('trace');
      const [old] = await store.append(t, 0, [makeMessage(t, { keys: ['gone'], body: Buffer.from('old') })]);
      await f.receive('g', t);
      clock.advance(10 * SECOND);
      const [kept] = await store.append(t, 0, [makeMessage(t, { keys: ['kept'], body: Buffer.from('new') })]);
      await f.receive('g', t);
      expect((await store.purgeQueue(t, 0, { olderThanMs: 5 * SECOND, maxMessages: 100 })).deleted).toBe(1);
      expect(await store.findMessages({ messageId: old!.messageId, limit: 10 })).toEqual([]);
      expect(await store.findMessages({ key: 'gone', limit: 10 })).toEqual([]);
      expect(await store.deliveryHistory(t, 0, old!.offset)).toEqual([]);
      expect(await store.deliveryHistory(t, 0, kept!.offset)).toHaveLength(1);

      expect(await store.deleteTopic(t)).toBe(true);
      expect(await store.findMessages({ key: 'kept', limit: 10 })).toEqual([]);
      expect(await store.deliveryHistory(t, 0, kept!.offset)).toEqual([]);
      // A topic of the same name starts afresh: no history of the old one's offsets.
      await f.topic('trace');
      const [again] = await f.appendBodies(t, 'again');
      expect(await store.deliveryHistory(t, 0, again!.offset)).toEqual([]);
    });
  });
}
