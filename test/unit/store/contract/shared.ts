// Contract section "shared": two store instances over one data set (harness.openTwin, as two
// broker processes would open one database), used at the same time: a due check is never
// claimed by both, group updates through either are never lost, offsets stay gap-free and
// unique under concurrent appends through both, a group's receives through both never hand out
// a message twice, and a lease held through one is refused through the other.
//
// Registered only for backends that declare capabilities.sharedAcrossProcesses (PostgreSQL): a
// store that one process owns (LevelDB: a second instance is refused by the directory lock) cannot
// open a twin, so the section is not part of its suite at all (see index.ts).
import { describe, expect, it } from 'vitest';
import type { BrokerStore, ClaimChecksResult } from '../../../../src/store/broker-store.js';
import { BUDGET, makeMessage, offsets, range, SECOND, useStore, type ContractTarget } from './helpers.js';

export function sharedContract(target: ContractTarget): void {
  describe('shared: two instances over one data set', () => {
    const f = useStore(target);

    const claimOn = (store: BrokerStore, producerGroup: string, clientId: string): Promise<ClaimChecksResult> =>
      store.claimDueChecks({ producerGroup, limit: 100, nextCheckInMs: 60 * SECOND, budget: BUDGET, targets: [clientId] });

    it('never claims a due check through both instances', async () => {
      const a = f.store;
      const b = await f.twin();
      const t = await f.topic('tx', 'TRANSACTION');
      const ids = range(20).map((i) => `TX-SH${i}`);
      for (const id of ids) await a.putHalf(f.half(t, id), 0);
      const results = await Promise.all(range(6).map((i) => claimOn(i % 2 === 0 ? a : b, t, `checker-${i}`)));
      const claimed = results.flatMap((r) => r.claimed.map((h) => h.transactionId));
      expect(claimed.sort()).toEqual([...ids].sort());
      for (const id of ids) expect((await b.getHalf(id))?.checkCount, id).toBe(1);
      expect((await a.transactionCounters()).checksSent).toBe(20);
      expect((await b.transactionCounters()).checksSent).toBe(20);
      // Claimed through either: due again for neither until the interval has passed.
      expect((await claimOn(a, t, 'checker-a')).claimed).toEqual([]);
      expect((await claimOn(b, t, 'checker-b')).claimed).toEqual([]);
    });

    it('loses no group update made through either instance', async () => {
      const a = f.store;
      const b = await f.twin();
      await a.createGroup({ name: 'cg', fifo: false, maxDeliveryAttempts: 17 });
      await Promise.all([a.updateGroup('cg', { fifo: true }), b.updateGroup('cg', { maxDeliveryAttempts: 3 })]);
      for (const store of [a, b]) expect(await store.getGroup('cg')).toMatchObject({ fifo: true, maxDeliveryAttempts: 3 });
      // Concurrent first uses through both: one creates the group, the other keeps its settings.
      const fifo = { name: 'fresh', fifo: true, maxDeliveryAttempts: 5 };
      const results = await Promise.all([a.createGroup(fifo), b.createGroup({ name: 'fresh', fifo: false, maxDeliveryAttempts: 17 })]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const winner = results.find((r) => r.created)!.group;
      for (const r of results) expect(r.group).toEqual(winner);
      for (const store of [a, b]) expect(await store.getGroup('fresh')).toEqual(winner);
    });

    it('keeps offsets gap-free and unique under concurrent appends through both instances', async () => {
      const a = f.store;
      const b = await f.twin();
      const t = await f.topic('log');
      const batches = await Promise.all(
        range(40).map((i) =>
          (i % 2 === 0 ? a : b).append(
            t,
            0,
            range((i % 3) + 1).map((j) => makeMessage(t, { body: Buffer.from(`${i}.${j}`) })),
          ),
        ),
      );
      const all = batches.flat();
      expect(offsets(all).sort((x, y) => x - y)).toEqual(range(all.length));
      for (const batch of batches) expect(offsets(batch)).toEqual(range(batch.length, batch[0]!.offset));
      for (const store of [a, b]) {
        const log = await store.read(t, 0, 0, 1000);
        expect(offsets(log)).toEqual(range(all.length));
        const byOffset = new Map(log.map((m) => [m.offset, m.body.toString()]));
        for (const m of all) expect(byOffset.get(m.offset)).toBe(m.body.toString());
      }
    });

    it('never hands out a message twice to one group receiving through both instances', async () => {
      const a = f.store;
      const b = await f.twin();
      const t = await f.topic('q');
      await a.append(
        t,
        0,
        range(30).map((i) => makeMessage(t, { body: Buffer.from(`m${i}`) })),
      );
      const results = await Promise.all(range(6).map((i) => (i % 2 === 0 ? a : b).receive(f.request('g', t, { maxMessages: 4 }))));
      const got = results.flatMap((r) => r.deliveries.map((d) => d.message.offset));
      expect(new Set(got).size).toBe(got.length);
      expect(got).toHaveLength(24);
      const rest = await b.receive(f.request('g', t, { maxMessages: 100 }));
      expect([...got, ...rest.deliveries.map((d) => d.message.offset)].sort((x, y) => x - y)).toEqual(range(30));
    });

    it('refuses a lease through one instance while it is held through the other', async () => {
      const { clock } = f;
      const a = f.store;
      const b = await f.twin();
      expect(await a.tryLease('sweep', 'broker-a', 10 * SECOND)).toBe(true);
      expect(await b.tryLease('sweep', 'broker-b', 10 * SECOND)).toBe(false);
      clock.advance(10 * SECOND);
      expect(await b.tryLease('sweep', 'broker-b', 10 * SECOND)).toBe(true);
      expect(await a.tryLease('sweep', 'broker-a', 10 * SECOND)).toBe(false);
      await b.releaseLease('sweep', 'broker-b');
      expect(await a.tryLease('sweep', 'broker-a', 10 * SECOND)).toBe(true);
    });
  });
}
