// Contract section "wake-ups": the store announces appends on its event bus
// (store.events.on('appended', topic, fn)) after appends, commits and promotions, per topic and
// for any valid topic name, unaffected by a failing listener; and the waiting times
// (nextScheduledInMs, nextCheckDueInMs, nextRedeliveryInMs) are durations from the store's
// clock, 0 once overdue. Events are lossy hints, so they are awaited with vi.waitFor.
import { describe, expect, it, vi } from 'vitest';
import { bodies, deliveredBodies, FIRST_CHECK_MS, makeMessage, offsets, SECOND, useStore, type ContractTarget } from './helpers.js';

export function wakeUpsContract(target: ContractTarget): void {
  describe('wake-ups', () => {
    const f = useStore(target);

    it('the appended event fires after append, commit and promotion, and stops after unsubscribe', async () => {
      const { store, clock } = f;
      const t = await f.topic('woken', 'TRANSACTION');
      let calls = 0;
      let sentinel = 0;
      const off = store.events.on('appended', t, () => calls++);
      const offSentinel = store.events.on('appended', t, () => sentinel++);

      await f.appendBodies(t, 'a');
      await vi.waitFor(() => expect(calls).toBe(1), { timeout: 2000, interval: 5 });

      await store.putHalf(f.half(t, 'TX-W'), FIRST_CHECK_MS);
      await store.endTransaction('TX-W', 'COMMIT', 'CLIENT');
      await vi.waitFor(() => expect(calls).toBe(2), { timeout: 2000, interval: 5 });

      await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + 1 })]);
      clock.advance(1);
      expect(await store.promoteDueScheduled(10)).toBe(1);
      await vi.waitFor(() => expect(calls).toBe(3), { timeout: 2000, interval: 5 });

      off();
      const before = sentinel;
      await f.appendBodies(t, 'b');
      await vi.waitFor(() => expect(sentinel).toBeGreaterThan(before), { timeout: 2000, interval: 5 });
      expect(calls).toBe(3);
      offSentinel();
    });

    it('the appended event is per topic and works for any valid topic name', async () => {
      const { store } = f;
      // "error" is a valid RocketMQ topic name and must not be special anywhere.
      const names = ['error', 'newListener', 'orders'];
      const calls = new Map<string, number>();
      for (const n of names) await f.topic(n);
      // No listener yet: appending still just works.
      expect(offsets(await f.appendBodies('error', 'first'))).toEqual([0]);
      expect(offsets(await f.appendBodies('newListener', 'first'))).toEqual([0]);
      for (const n of names) store.events.on('appended', n, () => calls.set(n, (calls.get(n) ?? 0) + 1));
      expect(calls.size).toBe(0);
      await f.appendBodies('error', 'boom');
      await vi.waitFor(() => expect(calls.get('error')).toBe(1), { timeout: 2000, interval: 5 });
      expect(calls.get('orders')).toBeUndefined();
      expect(deliveredBodies(await f.receive('g', 'error'))).toEqual(['first', 'boom']);
      await f.appendBodies('orders', 'o');
      await vi.waitFor(() => expect(calls.get('orders')).toBe(1), { timeout: 2000, interval: 5 });
      expect(calls.get('error')).toBe(1);
    });

    it('a listener that throws does not fail the write', async () => {
      const { store } = f;
      const t = await f.topic('q');
      let good = 0;
      store.events.on('appended', t, () => {
        throw new Error('listener bug');
      });
      store.events.on('appended', t, () => good++);
      const [m] = await f.appendBodies(t, 'a');
      expect(m!.offset).toBe(0);
      await vi.waitFor(() => expect(good).toBe(1), { timeout: 2000, interval: 5 });
      expect(bodies(await f.readAll(t))).toEqual(['a']);
    });

    it("waiting times are durations from the store's clock, 0 once overdue", async () => {
      const { store, clock } = f;
      const delayed = await f.topic('delayed', 'DELAY');
      const tx = await f.topic('tx', 'TRANSACTION');
      const q = await f.topic('q');
      await store.schedule(delayed, 0, [makeMessage(delayed, { messageType: 'DELAY', deliveryTimestampMs: clock.now() + 2 * SECOND })]);
      await store.putHalf(f.half(tx, 'TX-WAIT'), 3 * SECOND);
      await f.appendBodies(q, 'a');
      await f.receive('g', q, { invisibleDurationMs: 4 * SECOND });
      const waits = async (): Promise<(number | undefined)[]> => [await store.nextScheduledInMs(), await store.nextCheckDueInMs(tx), await store.nextRedeliveryInMs('g', q)];
      expect(await waits()).toEqual([2 * SECOND, 3 * SECOND, 4 * SECOND]);
      clock.advance(SECOND);
      expect(await waits()).toEqual([SECOND, 2 * SECOND, 3 * SECOND]);
      clock.advance(10 * SECOND);
      expect(await waits()).toEqual([0, 0, 0]);
    });
  });
}
