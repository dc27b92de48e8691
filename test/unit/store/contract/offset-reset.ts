// Contract section "offset reset": resetting a group to earliest (fresh attempts, in-flight
// handles stale), latest (also for a group that never consumed), a timestamp, dropping FIFO
// waiting state, and an unknown topic.
import { describe, expect, it } from 'vitest';
import { Code } from '../../../../src/errors.js';
import type { MessageInput } from '../../../../src/domain/messages.js';
import { deliveredBodies, expectBrokerError, makeMessage, SECOND, useStore, type ContractTarget } from './helpers.js';

export function offsetResetContract(target: ContractTarget): void {
  describe('offset reset', () => {
    const f = useStore(target);

    it('earliest re-consumes everything retained with fresh attempts; in-flight handles go stale', async () => {
      const { store } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b', 'c');
      const ds = await f.receive('g', t);
      await store.ack('g', t, ds[0]!.receiptHandle);
      const [reset] = await store.resetOffset('g', t, { kind: 'earliest' });
      expect(reset).toEqual({ topic: t, queueId: 0, previousOffset: 3, newOffset: 0, droppedInFlight: 2 });
      expect(await store.ack('g', t, ds[1]!.receiptHandle)).toBe('stale');
      expect(await store.nextRedeliveryInMs('g', t)).toBeUndefined();
      const again = await f.receive('g', t);
      expect(again.map((d) => [d.message.body.toString(), d.deliveryAttempt])).toEqual([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]);
    });

    it('latest skips everything sent so far, also for a group that never consumed the topic', async () => {
      const { store } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b');
      expect(await store.resetOffset('fresh', t, { kind: 'latest' })).toEqual([{ topic: t, queueId: 0, previousOffset: 0, newOffset: 2, droppedInFlight: 0 }]);
      expect(await f.receive('fresh', t)).toEqual([]);
      await f.appendBodies(t, 'c');
      expect(deliveredBodies(await f.receive('fresh', t))).toEqual(['c']);
      expect(await store.groupStats('fresh')).toEqual([{ group: 'fresh', topic: t, consumedOffset: 3, lag: 0, inFlight: 1 }]);
    });

    it('a timestamp goes to the first message stored at or after it', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      const t0 = clock.now();
      await f.appendBodies(t, 'a', 'b');
      clock.advance(10 * SECOND);
      await f.appendBodies(t, 'c', 'd');
      clock.advance(10 * SECOND);
      await f.appendBodies(t, 'e');
      const to = async (timestampMs: number): Promise<number> => (await store.resetOffset('g', t, { kind: 'timestamp', timestampMs }))[0]!.newOffset;
      expect(await to(t0 - 1)).toBe(0);
      expect(await to(t0)).toBe(0);
      expect(await to(t0 + 1)).toBe(2);
      expect(await to(t0 + 10 * SECOND)).toBe(2);
      expect(await to(t0 + 15 * SECOND)).toBe(4);
      expect(await to(t0 + 60 * SECOND)).toBe(5);
      await to(t0 + 5 * SECOND);
      expect(deliveredBodies(await f.receive('g', t))).toEqual(['c', 'd', 'e']);
    });

    it('drops FIFO waiting state: message groups restart in order from the new position', async () => {
      const { store } = f;
      const t = await f.topic('fifo', 'FIFO');
      const m = (group: string, body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: group, body: Buffer.from(body) });
      await store.append(t, 0, [m('A', 'a1'), m('A', 'a2'), m('B', 'b1')]);
      expect(deliveredBodies(await f.receive('g', t, { fifo: true }))).toEqual(['a1', 'b1']);
      expect((await store.groupStats('g'))[0]).toMatchObject({ lag: 1, inFlight: 2 }); // a2 waits
      const [reset] = await store.resetOffset('g', t, { kind: 'earliest' });
      expect(reset!.droppedInFlight).toBe(3);
      expect(deliveredBodies(await f.receive('g', t, { fifo: true }))).toEqual(['a1', 'b1']);
    });

    it('an unknown topic is TOPIC_NOT_FOUND', async () => {
      const { store } = f;
      await expectBrokerError(store.resetOffset('g', 'nope', { kind: 'earliest' }), Code.TOPIC_NOT_FOUND);
    });
  });
}
