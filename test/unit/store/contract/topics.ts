// Contract section "topics": creating (once, also under concurrency), the message-type rule,
// listing, deleting a topic with its messages (and creating it again), and queueStats.
import { describe, expect, it } from 'vitest';
import { Code } from '../../../../src/errors.js';
import { bodies, deliveredBodies, expectBrokerError, range, SECOND, useStore, type ContractTarget } from './helpers.js';

export function topicsContract(target: ContractTarget): void {
  describe('topics', () => {
    const f = useStore(target);

    it('creates a topic once; creating it again with the same type returns the existing record', async () => {
      const { store, clock } = f;
      const first = await store.createTopic({ name: 'orders', messageType: 'NORMAL', queueCount: 1 });
      expect(first.created).toBe(true);
      expect(first.topic).toEqual({ name: 'orders', messageType: 'NORMAL', queueCount: 1, createdAtMs: clock.now() });

      clock.advance(5 * SECOND);
      const again = await store.createTopic({ name: 'orders', messageType: 'NORMAL', queueCount: 1 });
      expect(again.created).toBe(false);
      expect(again.topic).toEqual(first.topic);
      expect(await store.getTopic('orders')).toEqual(first.topic);
    });

    it('rejects re-creating a topic with another message type (BAD_REQUEST) and keeps the original', async () => {
      const { store } = f;
      await f.topic('payments', 'TRANSACTION');
      const err = await expectBrokerError(store.createTopic({ name: 'payments', messageType: 'FIFO', queueCount: 1 }), Code.BAD_REQUEST);
      expect(err.message).toMatch(/payments/);
      expect((await store.getTopic('payments'))?.messageType).toBe('TRANSACTION');
    });

    it('concurrent creates of one topic create it exactly once', async () => {
      const { store } = f;
      const results = await Promise.all(range(8).map(() => store.createTopic({ name: 'race', messageType: 'FIFO', queueCount: 1 })));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.topic.createdAtMs)).size).toBe(1);
      expect(await store.listTopics()).toHaveLength(1);
    });

    it('lists topics and returns undefined for unknown ones', async () => {
      const { store } = f;
      expect(await store.listTopics()).toEqual([]);
      expect(await store.getTopic('nope')).toBeUndefined();
      await f.topic('a', 'NORMAL');
      await f.topic('b', 'FIFO');
      await f.topic('c', 'DELAY');
      const listed = await store.listTopics();
      expect(listed.map((t) => [t.name, t.messageType]).sort()).toEqual([
        ['a', 'NORMAL'],
        ['b', 'FIFO'],
        ['c', 'DELAY'],
      ]);
    });

    it('deleteTopic removes the topic and its messages; deleting again returns false', async () => {
      const { store } = f;
      const t = await f.topic('gone');
      const other = await f.topic('kept');
      await f.appendBodies(t, 'x', 'y');
      await f.appendBodies(other, 'z');
      expect(await store.deleteTopic(t)).toBe(true);
      expect(await store.getTopic(t)).toBeUndefined();
      expect(await f.readAll(t)).toEqual([]);
      expect(await store.queueStats(t)).toEqual([]);
      expect(await store.deleteTopic(t)).toBe(false);
      expect(await store.deleteTopic('never-existed')).toBe(false);
      // Other topics are untouched.
      expect(bodies(await f.readAll(other))).toEqual(['z']);
      expect((await store.listTopics()).map((r) => r.name)).toEqual(['kept']);
    });

    it('a topic deleted and created again starts empty, and consumers see its new messages', async () => {
      const { store } = f;
      const t = await f.topic('phoenix');
      await f.appendBodies(t, 'old-1', 'old-2', 'old-3');
      const ds = await f.receive('g', t);
      expect(ds).toHaveLength(3);
      await store.ack('g', t, ds[0]!.receiptHandle);

      await store.deleteTopic(t);
      await f.topic('phoenix');
      expect(await f.readAll(t)).toEqual([]);
      await f.appendBodies(t, 'new-1');
      expect(bodies(await f.readAll(t))).toEqual(['new-1']);
      expect(deliveredBodies(await f.receive('g', t))).toEqual(['new-1']);
    });

    it('queueStats reports the retained offset range of each queue', async () => {
      const { store } = f;
      expect(await store.queueStats('unknown')).toEqual([]);
      const t = await f.topic('stats');
      expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 0, maxOffset: 0 }]);
      await f.appendBodies(t, 'a', 'b', 'c');
      expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 0, maxOffset: 3 }]);
    });
  });
}
