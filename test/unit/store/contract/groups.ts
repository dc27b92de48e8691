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
  });
}
