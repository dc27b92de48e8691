// Contract section "retention (purgeQueue)": deleting from the head of a queue by age
// (olderThanMs) and by size (maxBytes), at most maxMessages per call with `more`, groups behind
// moving up and losing deleted deliveries, offsets continuing, and an unknown topic.
import { describe, expect, it } from 'vitest';
import { bodies, deliveredBodies, makeMessage, range, SECOND, useStore, type ContractTarget } from './helpers.js';

export function retentionContract(target: ContractTarget): void {
  describe('retention (purgeQueue)', () => {
    const f = useStore(target);

    it('deletes messages stored at least a given time ago, oldest first; groups behind move up and lose deleted deliveries', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b', 'c');
      clock.advance(SECOND);
      await f.appendBodies(t, 'd');
      const [a] = await f.receive('reader', t, { maxMessages: 1 }); // in flight, about to be deleted
      await f.receive('ahead', t, { maxMessages: 4 });
      const result = await store.purgeQueue(t, 0, { olderThanMs: SECOND / 2, maxMessages: 100 });
      expect(result).toEqual({ deleted: 3, minOffset: 3, more: false });
      expect(bodies(await f.readAll(t))).toEqual(['d']);
      expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 3, maxOffset: 4 }]);
      expect(await store.ack('reader', t, a!.receiptHandle)).toBe('stale');
      expect(await store.groupStats('reader')).toEqual([{ group: 'reader', topic: t, consumedOffset: 3, lag: 1, inFlight: 0 }]);
      expect((await store.groupStats('ahead'))[0]).toMatchObject({ consumedOffset: 4, lag: 0, inFlight: 1 });
      expect(deliveredBodies(await f.receive('reader', t))).toEqual(['d']);
      expect(deliveredBodies(await f.receive('newcomer', t))).toEqual(['d']);
      expect(await store.purgeQueue(t, 0, { olderThanMs: SECOND / 2, maxMessages: 100 })).toEqual({ deleted: 0, minOffset: 3, more: false });
    });

    it('deletes at most maxMessages per call and reports more', async () => {
      const { store } = f;
      const t = await f.topic('q');
      await store.append(
        t,
        0,
        range(5).map(() => makeMessage(t)),
      );
      expect(await store.purgeQueue(t, 0, { olderThanMs: 0, maxMessages: 2 })).toEqual({ deleted: 2, minOffset: 2, more: true });
      expect(await store.purgeQueue(t, 0, { olderThanMs: 0, maxMessages: 2 })).toEqual({ deleted: 2, minOffset: 4, more: true });
      expect(await store.purgeQueue(t, 0, { olderThanMs: 0, maxMessages: 2 })).toEqual({ deleted: 1, minOffset: 5, more: false });
      expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 5, maxOffset: 5 }]);
      const [next] = await f.appendBodies(t, 'after');
      expect(next!.offset).toBe(5);
    });

    it('deletes the oldest messages while the queue is over maxBytes', async () => {
      const { store } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b', 'c');
      expect(await store.purgeQueue(t, 0, { maxBytes: 1_000_000, maxMessages: 100 })).toMatchObject({ deleted: 0 });
      expect(await store.purgeQueue(t, 0, { maxBytes: 1, maxMessages: 100 })).toEqual({ deleted: 3, minOffset: 3, more: false });
      await f.appendBodies(t, 'd', 'e');
      expect(await store.purgeQueue(t, 0, { maxBytes: 1_000_000, maxMessages: 100 })).toMatchObject({ deleted: 0 });
      expect(await store.purgeQueue(t, 0, { maxBytes: 1, maxMessages: 100 })).toEqual({ deleted: 2, minOffset: 5, more: false });
    });

    it('an unknown topic purges nothing', async () => {
      const { store } = f;
      expect(await store.purgeQueue('nope', 0, { olderThanMs: 0, maxMessages: 10 })).toMatchObject({ deleted: 0, more: false });
    });
  });
}
