// Contract section "consumption: FIFO": one in-flight message per message group, in order,
// without blocking other message groups; appends while a group is blocked; a message group whose
// head is dead-lettered continuing with its next message.
import { describe, expect, it } from 'vitest';
import type { MessageInput } from '../../../../src/domain/messages.js';
import { bodies, deliveredBodies, makeMessage, SECOND, useStore, type ContractTarget } from './helpers.js';

export function consumptionFifoContract(target: ContractTarget): void {
  describe('consumption: FIFO', () => {
    const f = useStore(target);

    it('FIFO: one message of each message group at a time, in order; other groups are not blocked', async () => {
      const { store, clock } = f;
      const t = await f.topic('fifo', 'FIFO');
      const m = (group: string, body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: group, body: Buffer.from(body) });
      await store.append(t, 0, [m('A', 'a1'), m('B', 'b1'), m('A', 'a2'), m('A', 'a3'), m('B', 'b2'), m('C', 'c1')]);
      const fifo = { fifo: true, invisibleDurationMs: 10 * SECOND };

      const first = await f.receive('g', t, fifo);
      expect(deliveredBodies(first)).toEqual(['a1', 'b1', 'c1']);
      expect(await f.receive('g', t, fifo)).toEqual([]);

      // Acking A's head lets a2 through; B stays blocked behind b1.
      const [a1, b1, c1] = first;
      expect(a1!.message.body.toString()).toBe('a1');
      expect(await store.ack('g', t, a1!.receiptHandle)).toBe('ok');
      const second = await f.receive('g', t, fifo);
      expect(deliveredBodies(second)).toEqual(['a2']);
      expect(await store.ack('g', t, c1!.receiptHandle)).toBe('ok');
      expect(await f.receive('g', t, fifo)).toEqual([]);

      // b1 expires: it is redelivered (attempt 2) before b2, and b2 waits.
      clock.advance(10 * SECOND);
      const third = await f.receive('g', t, fifo);
      // Order across message groups is not part of the contract; within a group it is.
      expect(third.map((d) => [d.message.body.toString(), d.deliveryAttempt]).sort()).toEqual([
        ['a2', 2],
        ['b1', 2],
      ]);
      expect(await store.ack('g', t, b1!.receiptHandle)).toBe('stale');
      for (const d of third) expect(await store.ack('g', t, d.receiptHandle)).toBe('ok');
      const fourth = await f.receive('g', t, fifo);
      expect(deliveredBodies(fourth).sort()).toEqual(['a3', 'b2']);
      for (const d of fourth) expect(await store.ack('g', t, d.receiptHandle)).toBe('ok');
      expect(await f.receive('g', t, fifo)).toEqual([]);
      clock.advance(60 * SECOND);
      expect(await f.receive('g', t, fifo)).toEqual([]);
    });

    it('FIFO: messages appended while a group is blocked still come in order', async () => {
      const { store } = f;
      const t = await f.topic('fifo', 'FIFO');
      const m = (group: string, body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: group, body: Buffer.from(body) });
      await store.append(t, 0, [m('A', 'a1')]);
      const fifo = { fifo: true, maxMessages: 1 };
      const [a1] = await f.receive('g', t, fifo);
      await store.append(t, 0, [m('A', 'a2'), m('B', 'b1')]);
      expect(deliveredBodies(await f.receive('g', t, fifo))).toEqual(['b1']);
      await store.append(t, 0, [m('A', 'a3')]);
      expect(await f.receive('g', t, fifo)).toEqual([]);
      await store.ack('g', t, a1!.receiptHandle);
      const [a2] = await f.receive('g', t, fifo);
      expect(a2!.message.body.toString()).toBe('a2');
      await store.ack('g', t, a2!.receiptHandle);
      expect(deliveredBodies(await f.receive('g', t, fifo))).toEqual(['a3']);
    });

    it('FIFO: a message group whose head reaches the DLQ continues with its next message', async () => {
      const { store, clock } = f;
      const t = await f.topic('fifo', 'FIFO');
      const m = (group: string, body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: group, body: Buffer.from(body) });
      await store.append(t, 0, [m('A', 'a1'), m('A', 'a2')]);
      const opts = { fifo: true, maxDeliveryAttempts: 1, invisibleDurationMs: SECOND };
      expect(deliveredBodies(await f.receive('g', t, opts))).toEqual(['a1']);
      clock.advance(SECOND);
      const got: string[] = [];
      const dead: string[] = [];
      // The store may need another call to release the next message of the group.
      for (let i = 0; i < 3 && got.length === 0; i++) {
        const r = await store.receive(f.request('g', t, opts));
        got.push(...deliveredBodies(r.deliveries));
        dead.push(...bodies(r.deadLettered));
      }
      expect(dead).toEqual(['a1']);
      expect(got).toEqual(['a2']);
      expect(bodies(await f.readAll('%DLQ%g'))).toEqual(['a1']);
    });
  });
}
