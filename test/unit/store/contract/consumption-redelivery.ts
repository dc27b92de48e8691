// Contract section "consumption: acks and redelivery": redelivery after the invisibility ends
// (attempt + 1, new handle, old one stale), ack, malformed handles, concurrent acks and receives,
// changeInvisibleDuration (and as a nack), dead-lettering past maxDeliveryAttempts, and
// forwardToDeadLetter.
import { describe, expect, it } from 'vitest';
import { BrokerError, Code } from '../../../../src/errors.js';
import { bodies, deliveredBodies, makeMessage, range, SECOND, useStore, type ContractTarget } from './helpers.js';

export function consumptionRedeliveryContract(target: ContractTarget): void {
  describe('consumption: acks and redelivery', () => {
    const f = useStore(target);

    it('redelivers an unacked message after its invisibility ends, with attempt + 1 and a new handle', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const firstAt = clock.now();
      const [first] = await f.receive('g', t, { invisibleDurationMs: 10 * SECOND });
      expect(first!.firstDeliveredAtMs).toBe(firstAt);
      expect(await store.nextRedeliveryInMs('g', t)).toBe(f.inMs(first!.invisibleUntilMs));
      clock.advance(10 * SECOND - 1);
      expect(await f.receive('g', t)).toEqual([]);
      clock.advance(1);
      const [second] = await f.receive('g', t, { invisibleDurationMs: 10 * SECOND });
      expect(second!.message.offset).toBe(first!.message.offset);
      expect(second!.message.messageId).toBe(first!.message.messageId);
      expect(second!.deliveryAttempt).toBe(2);
      expect(second!.invisibleUntilMs).toBe(clock.now() + 10 * SECOND);
      expect(second!.receiptHandle).not.toBe(first!.receiptHandle);
      expect(second!.firstDeliveredAtMs).toBe(firstAt); // when the group first got it, kept across redeliveries
      expect(await store.nextRedeliveryInMs('g', t)).toBe(f.inMs(second!.invisibleUntilMs));

      expect(await store.ack('g', t, first!.receiptHandle)).toBe('stale');
      expect(await store.changeInvisibleDuration('g', t, first!.receiptHandle, SECOND)).toBe('stale');
      expect(await store.forwardToDeadLetter('g', t, first!.receiptHandle)).toBe('stale');
      expect(await store.ack('g', t, second!.receiptHandle)).toBe('ok');
      expect(await store.nextRedeliveryInMs('g', t)).toBeUndefined();
    });

    it('ack removes the message for good; acking again is stale', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b');
      const [a, b] = await f.receive('g', t);
      expect(await store.ack('g', t, a!.receiptHandle)).toBe('ok');
      expect(await store.ack('g', t, a!.receiptHandle)).toBe('stale');
      clock.advance(60 * SECOND);
      const again = await f.receive('g', t);
      expect(deliveredBodies(again)).toEqual(['b']);
      expect(again[0]!.deliveryAttempt).toBe(2);
      expect(await store.ack('g', t, b!.receiptHandle)).toBe('stale');
      expect(await store.ack('g', t, again[0]!.receiptHandle)).toBe('ok');
      clock.advance(60 * SECOND);
      expect(await f.receive('g', t)).toEqual([]);
      // The message itself stays in the log (other groups, admin reads).
      expect(bodies(await f.readAll(t))).toEqual(['a', 'b']);
    });

    it('a malformed receipt handle fails cleanly', async () => {
      const { store } = f;
      const t = await f.topic('q');
      const outcome = await store.ack('g', t, 'not-a-receipt-handle').then(
        (r) => r,
        (err: unknown) => err,
      );
      expect(outcome === 'stale' || outcome instanceof BrokerError).toBe(true);
      if (outcome !== 'stale') {
        expect(outcome).toBeInstanceOf(BrokerError);
        expect((outcome as BrokerError).code).toBe(Code.INVALID_RECEIPT_HANDLE);
      }
    });

    it('concurrent ack of one handle succeeds exactly once', async () => {
      const { store } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const [d] = await f.receive('g', t);
      const results = await Promise.all(range(5).map(() => store.ack('g', t, d!.receiptHandle)));
      expect(results.sort()).toEqual(['ok', 'stale', 'stale', 'stale', 'stale']);
    });

    it('concurrent receives of one group never hand out a message twice', async () => {
      const { store } = f;
      const t = await f.topic('q');
      await store.append(
        t,
        0,
        range(30).map((i) => makeMessage(t, { body: Buffer.from(`m${i}`) })),
      );
      const results = await Promise.all(range(6).map(() => f.receive('g', t, { maxMessages: 4 })));
      const got = results.flat().map((d) => d.message.offset);
      expect(new Set(got).size).toBe(got.length);
      expect(got).toHaveLength(24);
      const rest = await f.receive('g', t, { maxMessages: 100 });
      expect([...got, ...rest.map((d) => d.message.offset)].sort((x, y) => x - y)).toEqual(range(30));
    });

    it('messages appended while receives run are each delivered exactly once', async () => {
      const t = await f.topic('q');
      const seen: number[] = [];
      const appends: Promise<unknown>[] = [];
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 5; i++) appends.push(f.appendBodies(t, `r${round}-${i}`));
        const [a, b] = await Promise.all([f.receive('g', t, { maxMessages: 3 }), f.receive('g', t, { maxMessages: 3 })]);
        seen.push(...a!.map((d) => d.message.offset), ...b!.map((d) => d.message.offset));
      }
      await Promise.all(appends);
      seen.push(...(await f.receive('g', t, { maxMessages: 1000 })).map((d) => d.message.offset));
      expect(seen.sort((x, y) => x - y)).toEqual(range(100));
    });

    it('changeInvisibleDuration moves the deadline and returns the handle to use from now on', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const [d] = await f.receive('g', t, { invisibleDurationMs: 10 * SECOND });
      clock.advance(5 * SECOND);
      const changed = await store.changeInvisibleDuration('g', t, d!.receiptHandle, 30 * SECOND);
      if (changed === 'stale') throw new Error('expected a new handle');
      expect(changed.invisibleUntilMs).toBe(clock.now() + 30 * SECOND);
      expect(changed.receiptHandle).not.toBe(d!.receiptHandle);
      expect(await store.nextRedeliveryInMs('g', t)).toBe(f.inMs(changed.invisibleUntilMs));
      // Past the original deadline: still invisible.
      clock.advance(10 * SECOND);
      expect(await f.receive('g', t)).toEqual([]);
      expect(await store.ack('g', t, d!.receiptHandle)).toBe('stale');
      expect(await store.ack('g', t, changed.receiptHandle)).toBe('ok');
      clock.advance(60 * SECOND);
      expect(await f.receive('g', t)).toEqual([]);
    });

    it('changeInvisibleDuration to (almost) zero is a nack: redelivered at once with attempt + 1', async () => {
      const { store } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const [d] = await f.receive('g', t);
      const changed = await store.changeInvisibleDuration('g', t, d!.receiptHandle, 0);
      expect(changed).not.toBe('stale');
      const [again] = await f.receive('g', t);
      expect(again!.deliveryAttempt).toBe(2);
      expect(again!.message.body.toString()).toBe('a');
      if (changed !== 'stale') expect(await store.ack('g', t, changed.receiptHandle)).toBe('stale');
      expect(await store.ack('g', t, again!.receiptHandle)).toBe('ok');
    });

    it('moves messages past maxDeliveryAttempts to %DLQ%<group> instead of delivering them', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'poison', 'fine');
      const opts = { maxDeliveryAttempts: 2, invisibleDurationMs: SECOND };
      const first = await f.receive('g', t, opts);
      expect(first).toHaveLength(2);
      await store.ack('g', t, first[1]!.receiptHandle);
      clock.advance(SECOND);
      const [second] = await f.receive('g', t, opts);
      expect(second!.deliveryAttempt).toBe(2);
      clock.advance(SECOND);

      const result = await store.receive(f.request('g', t, opts));
      expect(result.deliveries).toEqual([]);
      expect(result.deadLettered.map((m) => [m.messageId, m.body.toString()])).toEqual([[first[0]!.message.messageId, 'poison']]);
      expect(await store.ack('g', t, second!.receiptHandle)).toBe('stale');
      expect(await store.nextRedeliveryInMs('g', t)).toBeUndefined();
      clock.advance(60 * SECOND);
      expect(await f.receive('g', t, opts)).toEqual([]);

      const dlq = await store.getTopic('%DLQ%g');
      expect(dlq).toBeDefined();
      const [dead] = await f.readAll('%DLQ%g');
      expect(dead).toMatchObject({
        topic: '%DLQ%g',
        messageId: first[0]!.message.messageId,
        deadLetter: { topic: t, messageId: first[0]!.message.messageId, group: 'g' },
      });
      expect(dead!.body.toString()).toBe('poison');
      // The DLQ topic is consumable like any other.
      expect(deliveredBodies(await f.receive('dlq-reader', '%DLQ%g'))).toEqual(['poison']);
      // Another group keeps its own budget.
      expect(deliveredBodies(await f.receive('other', t))).toEqual(['poison', 'fine']);
    });

    it('forwardToDeadLetter moves an in-flight message to the DLQ now and acks it', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'bad', 'good');
      const [bad, good] = await f.receive('g', t);
      expect(await store.forwardToDeadLetter('g', t, bad!.receiptHandle)).toBe('ok');
      expect(await store.forwardToDeadLetter('g', t, bad!.receiptHandle)).toBe('stale');
      expect(await store.ack('g', t, bad!.receiptHandle)).toBe('stale');
      const dead = await f.readAll('%DLQ%g');
      expect(dead.map((m) => [m.body.toString(), m.deadLetter])).toEqual([['bad', { topic: t, messageId: bad!.message.messageId, group: 'g' }]]);
      expect(await store.getTopic('%DLQ%g')).toBeDefined();
      clock.advance(60 * SECOND);
      const again = await f.receive('g', t);
      expect(deliveredBodies(again)).toEqual(['good']);
      expect(await store.ack('g', t, good!.receiptHandle)).toBe('stale');
    });
  });
}
