// Contract section "append and read": offsets from 0, every field stored, consecutive offsets
// across calls, range reads, gap-free unique offsets under concurrent appends, independent
// queues per topic, and one sequence shared by appends, commits and scheduled promotions.
import { describe, expect, it } from 'vitest';
import { bodies, FIRST_CHECK_MS, makeMessage, offsets, range, useStore, type ContractTarget } from './helpers.js';

export function appendReadContract(target: ContractTarget): void {
  describe('append and read', () => {
    const f = useStore(target);

    it('assigns offsets from 0 and stores every field of the message', async () => {
      const { store, clock } = f;
      const t = await f.topic('log');
      const input = makeMessage(t, {
        tag: 'TagA',
        keys: ['k1', 'k2'],
        messageGroup: 'mg',
        userProperties: { a: '1', 'b-c': 'two' },
        body: Buffer.from([0, 1, 2, 255, 254]),
        bornHost: '10.0.0.1',
      });
      const [stored] = await store.append(t, 0, [input]);
      expect(stored).toEqual({ ...input, queueId: 0, offset: 0, storeTimestampMs: clock.now() });
      const [read] = await store.read(t, 0, 0, 10);
      expect(read).toEqual(stored);
      expect(Buffer.isBuffer(read!.body)).toBe(true);
      expect([...read!.body]).toEqual([0, 1, 2, 255, 254]);
      expect(read!.transactionId).toBeUndefined();
    });

    it('assigns consecutive offsets across calls and reads by offset range', async () => {
      const { store } = f;
      const t = await f.topic('seq');
      const a = await f.appendBodies(t, 'm0', 'm1', 'm2');
      const b = await f.appendBodies(t, 'm3');
      const c = await f.appendBodies(t, 'm4', 'm5');
      expect([...offsets(a), ...offsets(b), ...offsets(c)]).toEqual(range(6));
      expect(bodies(await store.read(t, 0, 0, 100))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      expect(bodies(await store.read(t, 0, 2, 3))).toEqual(['m2', 'm3', 'm4']);
      expect(await store.read(t, 0, 6, 10)).toEqual([]);
      expect(await store.append(t, 0, [])).toEqual([]);
      expect((await store.queueStats(t))[0]!.maxOffset).toBe(6);
    });

    it('concurrent appends to a fresh topic get gap-free, unique offsets', async () => {
      const { store } = f;
      const t = await f.topic('burst');
      const batches = await Promise.all(
        range(40).map((i) =>
          store.append(
            t,
            0,
            range((i % 3) + 1).map((j) => makeMessage(t, { body: Buffer.from(`${i}.${j}`) })),
          ),
        ),
      );
      const all = batches.flat();
      expect(offsets(all).sort((x, y) => x - y)).toEqual(range(all.length));
      // Offsets within one call are consecutive and in input order.
      for (const batch of batches) expect(offsets(batch)).toEqual(range(batch.length, batch[0]!.offset));
      // Every returned offset holds exactly the message it was reported for.
      const log = await f.readAll(t);
      expect(offsets(log)).toEqual(range(all.length));
      const byOffset = new Map(log.map((m) => [m.offset, m.body.toString()]));
      for (const m of all) expect(byOffset.get(m.offset)).toBe(m.body.toString());
    });

    it('concurrent appends after earlier writes stay gap-free', async () => {
      const t = await f.topic('warm');
      await f.appendBodies(t, 'first');
      const results = await Promise.all(range(50).map((i) => f.appendBodies(t, `c${i}`)));
      const all = results.flat();
      expect(offsets(all).sort((x, y) => x - y)).toEqual(range(50, 1));
      const log = await f.readAll(t);
      expect(log).toHaveLength(51);
      expect(new Set(bodies(log)).size).toBe(51);
    });

    it('queues of different topics have independent offsets', async () => {
      const a = await f.topic('ta');
      const b = await f.topic('tb');
      const results = await Promise.all(range(20).map((i) => f.appendBodies(i % 2 === 0 ? a : b, `m${i}`)));
      expect(
        results
          .flat()
          .filter((m) => m.topic === a)
          .map((m) => m.offset)
          .sort((x, y) => x - y),
      ).toEqual(range(10));
      expect(offsets(await f.readAll(b))).toEqual(range(10));
    });

    it('appends, commits and scheduled promotions into one topic share one gap-free sequence', async () => {
      const { store, clock } = f;
      const t = await f.topic('mixed');
      await f.appendBodies(t, 'seed');
      for (let i = 0; i < 10; i++) await store.putHalf(f.half(t, `TX-MIX-${i}`), FIRST_CHECK_MS);
      await store.schedule(
        t,
        0,
        range(10).map((i) => makeMessage(t, { deliveryTimestampMs: clock.now() + 10, body: Buffer.from(`delay-${i}`) })),
      );
      clock.advance(10);
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 10; i++) {
        ops.push(f.appendBodies(t, `plain-${i}`));
        ops.push(store.endTransaction(`TX-MIX-${i}`, 'COMMIT', 'CLIENT'));
        if (i % 3 === 0) ops.push(store.promoteDueScheduled(4));
      }
      await Promise.all(ops);
      while ((await store.promoteDueScheduled(100)) > 0);
      const log = await f.readAll(t);
      expect(offsets(log)).toEqual(range(31));
      expect(new Set(bodies(log)).size).toBe(31);
      expect(log.filter((m) => m.transactionId !== undefined)).toHaveLength(10);
      expect(log.filter((m) => m.body.toString().startsWith('delay-'))).toHaveLength(10);
    });
  });
}
