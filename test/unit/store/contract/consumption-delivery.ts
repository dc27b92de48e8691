// Contract section "consumption: delivery": first deliveries (attempt 1, handle, deadline), where
// new groups start (earliest, or latest and kept across a restart), groups progressing
// independently, a first receive racing appends, acks of several handles in one call, handles
// scoped to their group, tag filters, and groupStats.
import { describe, expect, it } from 'vitest';
import { Code } from '../../../../src/errors.js';
import { deliveredBodies, makeMessage, range, SECOND, useStore, type ContractTarget } from './helpers.js';

export function consumptionDeliveryContract(target: ContractTarget): void {
  describe('consumption: delivery', () => {
    const f = useStore(target);

    it('delivers new messages once, with attempt 1, a receipt handle and an invisibility deadline', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b', 'c');
      expect(await store.receive(f.request('g', 'empty-topic'))).toEqual({ deliveries: [], deadLettered: [] });
      const first = await f.receive('g', t, { maxMessages: 2, invisibleDurationMs: 20 * SECOND });
      expect(deliveredBodies(first)).toEqual(['a', 'b']);
      for (const d of first) {
        expect(d.deliveryAttempt).toBe(1);
        expect(d.invisibleUntilMs).toBe(clock.now() + 20 * SECOND);
        expect(typeof d.receiptHandle).toBe('string');
        expect(d.receiptHandle.length).toBeGreaterThan(0);
      }
      expect(first[0]!.receiptHandle).not.toBe(first[1]!.receiptHandle);
      expect(first.map((d) => d.message.offset)).toEqual([0, 1]);
      expect(deliveredBodies(await f.receive('g', t))).toEqual(['c']);
      expect(await f.receive('g', t)).toEqual([]);
    });

    it('new groups start at the beginning of the log; groups progress independently', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a', 'b');
      const g1 = await f.receive('g1', t);
      for (const d of g1) expect(await store.ack('g1', t, d.receiptHandle)).toBe('ok');
      await f.appendBodies(t, 'c');
      expect(deliveredBodies(await f.receive('g2', t))).toEqual(['a', 'b', 'c']);
      expect(deliveredBodies(await f.receive('g1', t))).toEqual(['c']);
      expect(deliveredBodies(await f.receive('g3', t, { maxMessages: 1 }))).toEqual(['a']);
      // g2 leaves everything unacked: only g2 redelivers.
      clock.advance(31 * SECOND);
      const again = await f.receive('g2', t);
      expect(deliveredBodies(again)).toEqual(['a', 'b', 'c']);
      expect(again.map((d) => d.deliveryAttempt)).toEqual([2, 2, 2]);
      expect(deliveredBodies(await f.receive('g1', t))).toEqual(['c']);
    });

    it('a group created to start from latest gets only messages sent after its first receive, and keeps its place', async () => {
      let store = f.store;
      const t = await f.topic('q');
      await f.appendBodies(t, 'old-1', 'old-2');
      await store.createGroup({ name: 'late', fifo: false, maxDeliveryAttempts: 17, startFrom: 'latest' });
      expect(await f.receive('late', t)).toEqual([]);
      await f.appendBodies(t, 'new');
      if (f.capabilities.persistent) store = await f.restart(); // its place survives a restart before its first delivery
      const got = await f.receive('late', t);
      expect(deliveredBodies(got)).toEqual(['new']);
      for (const d of got) expect(await store.ack('late', t, d.receiptHandle)).toBe('ok');
      if (f.capabilities.persistent) await f.restart();
      await f.appendBodies(t, 'after-restart');
      expect(deliveredBodies(await f.receive('late', t))).toEqual(['after-restart']);
      // An earliest group on the same topic still sees everything.
      expect(deliveredBodies(await f.receive('early', t))).toEqual(['old-1', 'old-2', 'new', 'after-restart']);
    });

    it('a group that first receives while appends are being written still gets every message', async () => {
      const { store } = f;
      for (let round = 0; round < 10; round++) {
        const t = await f.topic(`race${round}`);
        await store.queueStats(t);
        const group = `g${round}`;
        const [, , first] = await Promise.all([f.appendBodies(t, 'a', 'b'), f.appendBodies(t, 'c'), f.receive(group, t)]);
        const rest = await f.receive(group, t);
        expect(deliveredBodies([...first!, ...rest]).sort(), `round ${round}`).toEqual(['a', 'b', 'c']);
      }
    });

    it('acks the handles of one call each as ack would: in order, a repeat stale, a malformed or foreign one an error', async () => {
      const { store } = f;
      const t = await f.topic('q');
      const other = await f.topic('other');
      await f.appendBodies(t, 'a', 'b', 'c');
      await f.appendBodies(other, 'x');
      const [a, b, c] = await f.receive('g', t);
      const [x] = await f.receive('g', other);
      const results = await store.ackMany('g', t, [a!.receiptHandle, b!.receiptHandle, a!.receiptHandle, 'not-a-handle', x!.receiptHandle]);
      expect(results.slice(0, 3)).toEqual(['ok', 'ok', 'stale']);
      for (const r of results.slice(3)) expect(r).toMatchObject({ code: Code.INVALID_RECEIPT_HANDLE });
      expect(await store.ackMany('g', t, [])).toEqual([]);
      expect(await store.ack('g', t, b!.receiptHandle)).toBe('stale');
      expect(await store.ackMany('g', t, [c!.receiptHandle])).toEqual(['ok']);
      expect((await store.groupStats('g')).find((s) => s.topic === t)?.inFlight).toBe(0);
      expect(await store.ack('g', other, x!.receiptHandle)).toBe('ok');
      expect(await f.receive('g', t)).toEqual([]);
    });

    it('a receipt handle of one group does not ack the message for another group', async () => {
      const { store } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      const [d1] = await f.receive('g1', t);
      const [d2] = await f.receive('g2', t);
      expect(await store.ack('g2', t, d1!.receiptHandle)).toBe('stale');
      expect(await store.ack('g1', t, d1!.receiptHandle)).toBe('ok');
      expect(await store.ack('g2', t, d2!.receiptHandle)).toBe('ok');
    });

    it('skips messages that do not match the tag filter without blocking later ones', async () => {
      const { store } = f;
      const t = await f.topic('tags');
      await store.append(t, 0, [
        ...range(20).map((i) => makeMessage(t, { tag: 'B', body: Buffer.from(`b${i}`) })),
        makeMessage(t, { body: Buffer.from('untagged') }),
        makeMessage(t, { tag: 'A', body: Buffer.from('a1') }),
        makeMessage(t, { tag: 'C', body: Buffer.from('c1') }),
        makeMessage(t, { tag: 'A', body: Buffer.from('a2') }),
      ]);
      const onlyA = await f.receive('ga', t, { filter: { kind: 'tags', tags: new Set(['A']) } });
      expect(deliveredBodies(onlyA)).toEqual(['a1', 'a2']);
      expect(await f.receive('ga', t, { filter: { kind: 'tags', tags: new Set(['A']) } })).toEqual([]);
      const aOrC = await f.receive('gac', t, { filter: { kind: 'tags', tags: new Set(['A', 'C']) } });
      expect(deliveredBodies(aOrC)).toEqual(['a1', 'c1', 'a2']);
      const all = await f.receive('gall', t, { maxMessages: 100 });
      expect(all).toHaveLength(24);
      // Filtered-out messages count as looked at: nothing is left for the filtered group.
      const [stats] = await store.groupStats('ga');
      expect(stats).toMatchObject({ topic: t, consumedOffset: 24, lag: 0, inFlight: 2 });
    });

    it('groupStats reports consumed offset, lag and in-flight count per topic', async () => {
      const { store } = f;
      const t = await f.topic('q');
      const u = await f.topic('u');
      expect(await store.groupStats('g')).toEqual([]);
      await f.appendBodies(t, 'a', 'b', 'c', 'd');
      await f.appendBodies(u, 'x');
      const ds = await f.receive('g', t, { maxMessages: 3 });
      expect(await store.groupStats('g')).toEqual([{ group: 'g', topic: t, consumedOffset: 3, lag: 1, inFlight: 3 }]);
      await store.ack('g', t, ds[0]!.receiptHandle);
      await f.receive('g', u);
      const stats = (await store.groupStats('g')).sort((a, b) => a.topic.localeCompare(b.topic));
      expect(stats).toEqual([
        { group: 'g', topic: t, consumedOffset: 3, lag: 1, inFlight: 2 },
        { group: 'g', topic: u, consumedOffset: 1, lag: 0, inFlight: 1 },
      ]);
      expect(await store.groupStats('other')).toEqual([]);
    });

    // The PostgreSQL store once read the clock when a call was made, before waiting for a
    // connection and for the group's lock: under load a push consumer's delivery then reached it
    // with most of its invisibility gone and was redelivered before it could be renewed.
    it('measures invisibility from when a receive, change or renewal takes effect, not from when it was called', async () => {
      const { store, clock } = f;
      const t = await f.topic('q');
      await f.appendBodies(t, 'a');
      // Time passes while each call waits (here: between the call and its first step).
      const receiving = store.receive(f.request('g', t, { invisibleDurationMs: 20 * SECOND, autoRenew: { clientId: 'c', brokerId: 'b' } }));
      clock.advance(5 * SECOND);
      const [d] = (await receiving).deliveries;
      expect(d!.invisibleUntilMs).toBe(clock.now() + 20 * SECOND);

      const renewing = store.renewInvisibility('g', t, d!.receiptHandle, 30 * SECOND);
      clock.advance(5 * SECOND);
      expect(await renewing).toEqual({ invisibleUntilMs: clock.now() + 30 * SECOND });

      const changing = store.changeInvisibleDuration('g', t, d!.receiptHandle, 10 * SECOND);
      clock.advance(5 * SECOND);
      const changed = await changing;
      if (changed === 'stale') throw new Error('the current handle was reported stale');
      expect(changed.invisibleUntilMs).toBe(clock.now() + 10 * SECOND);
      // Not redelivered before that deadline, redelivered at it.
      clock.advance(10 * SECOND - 1);
      expect(await f.receive('g', t)).toEqual([]);
      clock.advance(1);
      expect(deliveredBodies(await f.receive('g', t))).toEqual(['a']);
    });
  });
}
