// Contract section "push consumer deliveries (auto-renew)": deliveries recorded with their
// client and the broker renewing them, listAutoRenewed(brokerId) listing only that broker's,
// renewal keeping the handle valid, refusal of plain or stale deliveries, a plain redelivery
// clearing the mark, and the push consumer's nack waiting at least its back-off.
import { describe, expect, it } from 'vitest';
import type { ReceiveRequest } from '../../../../src/domain/consumption.js';
import { deliveredBodies, SECOND, useStore, type ContractTarget } from './helpers.js';

/** The broker that keeps the test's push deliveries alive. */
const BROKER = 'broker-1';

export function autoRenewContract(target: ContractTarget): void {
  describe('push consumer deliveries (auto-renew)', () => {
    const f = useStore(target);

    const renewing = (clientId = 'push-1', brokerId = BROKER): Partial<ReceiveRequest> => ({ autoRenew: { clientId, brokerId }, invisibleDurationMs: 60 * SECOND });
    const backoff = { initialMs: 2 * SECOND, maxMs: 10 * SECOND, multiplier: 2 };

    it('records auto-renewed deliveries with their client; renewal extends them and keeps the handle valid', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b');
      const [a] = await f.receive('g', t, { ...renewing(), maxMessages: 1 });
      await f.receive('g', t, { maxMessages: 1, invisibleDurationMs: 60 * SECOND }); // a plain delivery is not listed
      expect(await store.listAutoRenewed(BROKER)).toEqual([
        {
          group: 'g',
          topic: t,
          receiptHandle: a!.receiptHandle,
          clientId: 'push-1',
          brokerId: BROKER,
          deliveryAttempt: 1,
          invisibleUntilMs: a!.invisibleUntilMs,
          sinceMs: clock.now(),
        },
      ]);
      clock.advance(55 * SECOND);
      const renewed = await store.renewInvisibility('g', t, a!.receiptHandle, 60 * SECOND);
      expect(renewed).toEqual({ invisibleUntilMs: clock.now() + 60 * SECOND });
      expect(await store.nextRedeliveryInMs('g', t)).toBe(5 * SECOND); // b expires first
      clock.advance(30 * SECOND); // past a's original deadline
      expect(deliveredBodies(await f.receive('g', t))).toEqual(['b']);
      expect((await store.listAutoRenewed(BROKER)).map((d) => [d.receiptHandle, d.invisibleUntilMs])).toEqual([[a!.receiptHandle, clock.now() + 30 * SECOND]]);
      // The handle the client got at first still acks.
      expect(await store.ack('g', t, a!.receiptHandle)).toBe('ok');
      expect(await store.renewInvisibility('g', t, a!.receiptHandle, 60 * SECOND)).toBe('stale');
      expect(await store.listAutoRenewed(BROKER)).toEqual([]);
    });

    it('renewInvisibility refuses plain deliveries and stale handles', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const [plain] = await f.receive('g', t, { invisibleDurationMs: 10 * SECOND });
      expect(await store.renewInvisibility('g', t, plain!.receiptHandle, 60 * SECOND)).toBe('stale');
      clock.advance(10 * SECOND);
      const [pushed] = await f.receive('g', t, renewing());
      expect(pushed!.deliveryAttempt).toBe(2);
      expect(await store.renewInvisibility('g', t, plain!.receiptHandle, 60 * SECOND)).toBe('stale');
      expect(await store.renewInvisibility('other', t, pushed!.receiptHandle, 60 * SECOND)).toBe('stale');
      expect(await store.renewInvisibility('g', t, pushed!.receiptHandle, 60 * SECOND)).not.toBe('stale');
    });

    it('a redelivery without auto-renew clears the mark', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const [first] = await f.receive('g', t, renewing());
      clock.advance(60 * SECOND);
      const [second] = await f.receive('g', t, { invisibleDurationMs: 10 * SECOND });
      expect(second!.deliveryAttempt).toBe(2);
      expect(await store.listAutoRenewed(BROKER)).toEqual([]);
      expect(await store.renewInvisibility('g', t, first!.receiptHandle, SECOND)).toBe('stale');
      expect(await store.renewInvisibility('g', t, second!.receiptHandle, SECOND)).toBe('stale');
    });

    it('a nack of an auto-renewed delivery waits at least the back-off of its attempt and ends the renewal', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const [first] = await f.receive('g', t, renewing());
      const nacked = await store.changeInvisibleDuration('g', t, first!.receiptHandle, 1, { autoRenewBackoff: backoff });
      if (nacked === 'stale') throw new Error('expected a handle');
      expect(nacked.invisibleUntilMs).toBe(clock.now() + 2 * SECOND);
      expect(await store.listAutoRenewed(BROKER)).toEqual([]);
      expect(await store.renewInvisibility('g', t, first!.receiptHandle, SECOND)).toBe('stale');
      clock.advance(2 * SECOND - 1);
      expect(await f.receive('g', t, renewing())).toEqual([]);
      clock.advance(1);
      const [second] = await f.receive('g', t, renewing());
      expect(second!.deliveryAttempt).toBe(2);
      const again = await store.changeInvisibleDuration('g', t, second!.receiptHandle, 0, { autoRenewBackoff: backoff });
      expect(again !== 'stale' && again.invisibleUntilMs).toBe(clock.now() + 4 * SECOND);
      clock.advance(4 * SECOND);
      const [third] = await f.receive('g', t, renewing());
      // A longer requested duration wins; the cap applies to the back-off only.
      const long = await store.changeInvisibleDuration('g', t, third!.receiptHandle, 30 * SECOND, { autoRenewBackoff: backoff });
      expect(long !== 'stale' && long.invisibleUntilMs).toBe(clock.now() + 30 * SECOND);
    });

    it('the back-off does not apply to plain deliveries (SimpleConsumer changeInvisibleDuration)', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const [d] = await f.receive('g', t, { invisibleDurationMs: 10 * SECOND });
      const changed = await store.changeInvisibleDuration('g', t, d!.receiptHandle, 1, { autoRenewBackoff: backoff });
      expect(changed !== 'stale' && changed.invisibleUntilMs).toBe(clock.now() + 1);
    });

    it('listAutoRenewed(brokerId) lists only the deliveries that broker keeps alive', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b', 'c');
      const [a] = await f.receive('g', t, { ...renewing('push-1', 'broker-1'), maxMessages: 1 });
      const [b] = await f.receive('g', t, { ...renewing('push-2', 'broker-2'), maxMessages: 1 });
      await f.receive('g', t, { maxMessages: 1 }); // plain: nobody's
      const listed = (brokerId: string) => store.listAutoRenewed(brokerId);
      expect(await listed('broker-1')).toEqual([
        {
          group: 'g',
          topic: t,
          receiptHandle: a!.receiptHandle,
          clientId: 'push-1',
          brokerId: 'broker-1',
          deliveryAttempt: 1,
          invisibleUntilMs: a!.invisibleUntilMs,
          sinceMs: clock.now(),
        },
      ]);
      expect(await listed('broker-2')).toEqual([
        {
          group: 'g',
          topic: t,
          receiptHandle: b!.receiptHandle,
          clientId: 'push-2',
          brokerId: 'broker-2',
          deliveryAttempt: 1,
          invisibleUntilMs: b!.invisibleUntilMs,
          sinceMs: clock.now(),
        },
      ]);
      expect(await listed('broker-3')).toEqual([]);
      // The delivery moves with a redelivery to a client of another broker.
      clock.advance(60 * SECOND);
      const [again] = await f.receive('g', t, { ...renewing('push-3', 'broker-2'), maxMessages: 1 });
      expect(again!.message.offset).toBe(a!.message.offset);
      expect((await listed('broker-1')).map((d) => d.receiptHandle)).toEqual([]);
      expect((await listed('broker-2')).map((d) => [d.clientId, d.deliveryAttempt]).sort()).toEqual([
        ['push-2', 1],
        ['push-3', 2],
      ]);
    });
  });
}
