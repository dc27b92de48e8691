// Contract section "groups": createGroup as the only first-use path (created once, concurrent or
// repeated creates keep the first record), updateGroup changing only the given fields and
// keeping the creation time, updateGroup of a missing group, and listing.
import { describe, expect, it } from 'vitest';
import { range, SECOND, useStore, type ContractTarget } from './helpers.js';

export function groupsContract(target: ContractTarget): void {
  describe('groups', () => {
    const f = useStore(target);

    it('creates and updates groups, keeping their creation time', async () => {
      const { store, clock } = f;
      expect(await store.getGroup('cg')).toBeUndefined();
      const { group: created } = await store.createGroup({ name: 'cg', fifo: false, maxDeliveryAttempts: 17 });
      expect(created).toEqual({ name: 'cg', fifo: false, maxDeliveryAttempts: 17, createdAtMs: clock.now() });
      clock.advance(SECOND);
      const updated = await store.updateGroup('cg', { fifo: true, maxDeliveryAttempts: 3 });
      expect(updated).toEqual({ name: 'cg', fifo: true, maxDeliveryAttempts: 3, createdAtMs: created.createdAtMs });
      expect(await store.getGroup('cg')).toEqual(updated);
      await store.createGroup({ name: 'other', fifo: false, maxDeliveryAttempts: 17 });
      expect((await store.listGroups()).map((g) => g.name).sort()).toEqual(['cg', 'other']);
    });

    it('createGroup creates once; concurrent or repeated creates return the first record unchanged', async () => {
      const { store, clock } = f;
      const results = await Promise.all(range(4).map((i) => store.createGroup({ name: 'cg', fifo: i % 2 === 0, maxDeliveryAttempts: 3 + i })));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const first = results.find((r) => r.created)!.group;
      for (const r of results) expect(r.group).toEqual(first);
      expect(await store.getGroup('cg')).toEqual(first);
      clock.advance(SECOND);
      expect(await store.createGroup({ name: 'cg', fifo: true, maxDeliveryAttempts: 99 })).toEqual({ group: first, created: false });
    });

    it('updateGroup changes only the fields it is given', async () => {
      const { store } = f;
      await store.createGroup({ name: 'cg', fifo: false, maxDeliveryAttempts: 17, startFrom: 'latest' });
      expect(await store.updateGroup('cg', { fifo: true })).toMatchObject({ fifo: true, maxDeliveryAttempts: 17, startFrom: 'latest' });
      expect(await store.updateGroup('cg', { maxDeliveryAttempts: 4 })).toMatchObject({ fifo: true, maxDeliveryAttempts: 4, startFrom: 'latest' });
      const unchanged = await store.getGroup('cg');
      expect(await store.updateGroup('cg', {})).toEqual(unchanged);
      expect(await store.getGroup('cg')).toEqual({ ...unchanged, fifo: true, maxDeliveryAttempts: 4 });
    });

    it('updateGroup of a missing group returns undefined and creates nothing', async () => {
      const { store } = f;
      expect(await store.updateGroup('ghost', { fifo: true })).toBeUndefined();
      expect(await store.getGroup('ghost')).toBeUndefined();
      expect(await store.listGroups()).toEqual([]);
    });

    it("concurrent createGroup(fifo) and createGroup(defaults) never lose the first one's settings", async () => {
      const { store } = f;
      for (let round = 0; round < 10; round++) {
        const name = `cg-${round}`;
        const fifo = { name, fifo: true, maxDeliveryAttempts: 5 };
        const defaults = { name, fifo: false, maxDeliveryAttempts: 17 };
        const calls = round % 2 === 0 ? [fifo, defaults] : [defaults, fifo];
        const results = await Promise.all(calls.map((settings) => store.createGroup(settings)));
        // Exactly one creates the group; the other neither overwrites nor mixes in its settings.
        const winners = results.filter((r) => r.created);
        expect(winners, `round ${round}`).toHaveLength(1);
        const winner = winners[0]!;
        expect(winner.group, `round ${round}`).toMatchObject(calls[results.indexOf(winner)]!);
        for (const r of results) expect(r.group, `round ${round}`).toEqual(winner.group);
        expect(await store.getGroup(name), `round ${round}`).toEqual(winner.group);
      }
    });

    it('concurrent updates of different fields of one group are all kept', async () => {
      const { store } = f;
      await store.createGroup({ name: 'cg', fifo: false, maxDeliveryAttempts: 17 });
      await Promise.all([store.updateGroup('cg', { fifo: true }), store.updateGroup('cg', { maxDeliveryAttempts: 2 })]);
      expect(await store.getGroup('cg')).toMatchObject({ fifo: true, maxDeliveryAttempts: 2 });
    });
  });
}
