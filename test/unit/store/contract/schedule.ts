// Contract section "scheduled (DELAY) messages": kept out of the log until due, promoted in
// delivery-time order at most `limit` per call, increasing sequence numbers, messages of a
// deleted topic dropped, and nextScheduledInMs as a duration from the store's clock.
import { describe, expect, it } from 'vitest';
import { bodies, deliveredBodies, makeMessage, offsets, range, SECOND, useStore, type ContractTarget } from './helpers.js';

export function scheduleContract(target: ContractTarget): void {
  describe('scheduled (DELAY) messages', () => {
    const f = useStore(target);

    it('keeps messages out of the log until due, then promotes them in delivery-time order', async () => {
      const { store, clock } = f;
      const t = await f.topic('delayed', 'DELAY');
      const start = clock.now();
      expect(await store.nextScheduledInMs()).toBeUndefined();
      const seqs = await store.schedule(t, 0, [
        makeMessage(t, { messageType: 'DELAY', deliveryTimestampMs: start + 5 * SECOND, body: Buffer.from('late') }),
        makeMessage(t, { messageType: 'DELAY', deliveryTimestampMs: start + SECOND, body: Buffer.from('early-1') }),
        makeMessage(t, { messageType: 'DELAY', deliveryTimestampMs: start + SECOND, body: Buffer.from('early-2') }),
      ]);
      expect(seqs).toHaveLength(3);
      expect(new Set(seqs).size).toBe(3);
      expect(await store.nextScheduledInMs()).toBe(f.inMs(start + SECOND));
      expect(await store.promoteDueScheduled(100)).toBe(0);
      expect(await f.readAll(t)).toEqual([]);
      expect(await f.receive('g', t)).toEqual([]);

      clock.advance(SECOND - 1);
      expect(await store.promoteDueScheduled(100)).toBe(0);
      clock.advance(1);
      expect(await store.promoteDueScheduled(100)).toBe(2);
      const log = await f.readAll(t);
      expect(bodies(log)).toEqual(['early-1', 'early-2']);
      expect(offsets(log)).toEqual([0, 1]);
      expect(log[0]!.deliveryTimestampMs).toBe(start + SECOND);
      expect(log[0]!.storeTimestampMs).toBe(clock.now());
      expect(await store.nextScheduledInMs()).toBe(f.inMs(start + 5 * SECOND));
      expect(deliveredBodies(await f.receive('g', t))).toEqual(['early-1', 'early-2']);

      clock.advance(10 * SECOND);
      expect(await store.promoteDueScheduled(100)).toBe(1);
      expect(bodies(await f.readAll(t))).toEqual(['early-1', 'early-2', 'late']);
      expect(await store.nextScheduledInMs()).toBeUndefined();
      expect(await store.promoteDueScheduled(100)).toBe(0);
    });

    it('promotes at most `limit` messages per call', async () => {
      const { store, clock } = f;
      const t = await f.topic('batch', 'DELAY');
      await store.schedule(
        t,
        0,
        range(5).map((i) => makeMessage(t, { deliveryTimestampMs: clock.now() + i, body: Buffer.from(`d${i}`) })),
      );
      clock.advance(SECOND);
      expect(await store.promoteDueScheduled(2)).toBe(2);
      expect(bodies(await f.readAll(t))).toEqual(['d0', 'd1']);
      expect(await store.promoteDueScheduled(10)).toBe(3);
      expect(bodies(await f.readAll(t))).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
    });

    it('sequence numbers keep increasing across calls', async () => {
      const { store, clock } = f;
      const t = await f.topic('seqs', 'DELAY');
      const a = await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + 1 })]);
      const b = await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + 1 }), makeMessage(t, { deliveryTimestampMs: clock.now() })]);
      expect(b[0]!).toBeGreaterThan(a[0]!);
      expect(b[1]!).toBeGreaterThan(b[0]!);
    });

    it('drops due messages whose topic was deleted meanwhile', async () => {
      const { store, clock } = f;
      const t = await f.topic('vanishing', 'DELAY');
      const kept = await f.topic('staying', 'DELAY');
      await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + SECOND })]);
      await store.schedule(kept, 0, [makeMessage(kept, { deliveryTimestampMs: clock.now() + SECOND, body: Buffer.from('kept') })]);
      await store.deleteTopic(t);
      clock.advance(SECOND);
      while ((await store.promoteDueScheduled(100)) > 0);
      expect(await store.getTopic(t)).toBeUndefined();
      expect(await f.readAll(t)).toEqual([]);
      expect(bodies(await f.readAll(kept))).toEqual(['kept']);
      expect(await store.nextScheduledInMs()).toBeUndefined();
    });

    it("nextScheduledInMs counts down with the store's clock and is 0 once overdue", async () => {
      const { store, clock } = f;
      const t = await f.topic('countdown', 'DELAY');
      await store.schedule(t, 0, [makeMessage(t, { messageType: 'DELAY', deliveryTimestampMs: clock.now() + 3 * SECOND })]);
      expect(await store.nextScheduledInMs()).toBe(3 * SECOND);
      clock.advance(SECOND);
      expect(await store.nextScheduledInMs()).toBe(2 * SECOND);
      clock.advance(5 * SECOND);
      expect(await store.nextScheduledInMs()).toBe(0);
      expect(await store.promoteDueScheduled(10)).toBe(1);
      expect(await store.nextScheduledInMs()).toBeUndefined();
    });
  });
}
