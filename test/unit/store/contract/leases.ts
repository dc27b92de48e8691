// Contract section "leases": tryLease grants a named lease to one holder and refuses the others
// until its TTL has passed (on the store's clock), renews it for the same holder, and
// releaseLease frees it early (only for its holder); leases of different names are independent.
import { describe, expect, it } from 'vitest';
import { range, SECOND, useStore, type ContractTarget } from './helpers.js';

const TTL = 10 * SECOND;

export function leasesContract(target: ContractTarget): void {
  describe('leases', () => {
    const f = useStore(target);

    it('grants a lease to one holder and refuses another until the TTL has passed', async () => {
      const { store, clock } = f;
      expect(await store.tryLease('sweep', 'broker-1', TTL)).toBe(true);
      expect(await store.tryLease('sweep', 'broker-2', TTL)).toBe(false);
      clock.advance(TTL - 1);
      expect(await store.tryLease('sweep', 'broker-2', TTL)).toBe(false);
      clock.advance(1);
      expect(await store.tryLease('sweep', 'broker-2', TTL)).toBe(true);
      // Now broker-2 holds it, and broker-1 is the one refused.
      expect(await store.tryLease('sweep', 'broker-1', TTL)).toBe(false);
    });

    it('renews the lease for the same holder, from now', async () => {
      const { store, clock } = f;
      expect(await store.tryLease('sweep', 'broker-1', TTL)).toBe(true);
      clock.advance(8 * SECOND);
      expect(await store.tryLease('sweep', 'broker-1', TTL)).toBe(true);
      clock.advance(5 * SECOND); // past the first lease's end, within the renewed one
      expect(await store.tryLease('sweep', 'broker-2', TTL)).toBe(false);
      clock.advance(5 * SECOND);
      expect(await store.tryLease('sweep', 'broker-2', TTL)).toBe(true);
    });

    it('releaseLease frees the lease at once, and only for its holder', async () => {
      const { store } = f;
      expect(await store.tryLease('sweep', 'broker-1', TTL)).toBe(true);
      await store.releaseLease('sweep', 'broker-2'); // not the holder: no-op
      expect(await store.tryLease('sweep', 'broker-2', TTL)).toBe(false);
      await store.releaseLease('sweep', 'broker-1');
      expect(await store.tryLease('sweep', 'broker-2', TTL)).toBe(true);
      await store.releaseLease('nothing', 'broker-1'); // an unknown lease: no-op
      expect(await store.tryLease('sweep', 'broker-1', TTL)).toBe(false);
    });

    it('leases of different names are independent', async () => {
      const { store } = f;
      expect(await store.tryLease('retention', 'broker-1', TTL)).toBe(true);
      expect(await store.tryLease('checks', 'broker-2', TTL)).toBe(true);
      expect(await store.tryLease('retention', 'broker-2', TTL)).toBe(false);
      expect(await store.tryLease('checks', 'broker-1', TTL)).toBe(false);
    });

    it('concurrent requests for a free lease grant it to exactly one holder', async () => {
      const { store } = f;
      const granted = await Promise.all(range(8).map((i) => store.tryLease('sweep', `broker-${i}`, TTL)));
      expect(granted.filter(Boolean)).toHaveLength(1);
    });
  });
}
