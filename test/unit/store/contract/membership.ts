// Contract section "membership": heartbeatBroker registers a broker until its TTL has passed (on
// the store's clock) and a later heartbeat renews it from then, with the endpoint it gives;
// liveBrokers lists the unexpired ones ordered by id; leaveBroker removes one at once. (Seen
// through two instances of a shared backend: test/unit/store/pg.test.ts.)
import { describe, expect, it } from 'vitest';
import { SECOND, useStore, type ContractTarget } from './helpers.js';

const TTL = 2 * SECOND;

export function membershipContract(target: ContractTarget): void {
  describe('membership', () => {
    const f = useStore(target);

    it('lists a broker until its TTL has passed, and renews it from each heartbeat', async () => {
      const { store, clock } = f;
      expect(await store.liveBrokers()).toEqual([]);
      await store.heartbeatBroker('b2', '10.0.0.2:8081', TTL);
      await store.heartbeatBroker('b1', '10.0.0.1:8081', TTL);
      expect(await store.liveBrokers()).toEqual([
        { brokerId: 'b1', endpoint: '10.0.0.1:8081' },
        { brokerId: 'b2', endpoint: '10.0.0.2:8081' },
      ]);
      clock.advance(TTL - 1);
      await store.heartbeatBroker('b1', '10.0.0.1:9091', TTL); // renewed, at a new endpoint
      clock.advance(1);
      expect(await store.liveBrokers()).toEqual([{ brokerId: 'b1', endpoint: '10.0.0.1:9091' }]);
      clock.advance(TTL - 2); // b1 renewed at TTL - 1: live until 2 TTL - 1
      expect((await store.liveBrokers()).map((b) => b.brokerId)).toEqual(['b1']);
      clock.advance(1);
      expect(await store.liveBrokers()).toEqual([]);
    });

    it('a broker that heartbeats again after expiring is live again', async () => {
      const { store, clock } = f;
      await store.heartbeatBroker('b1', '10.0.0.1:8081', TTL);
      await store.heartbeatBroker('b2', '10.0.0.2:8081', TTL);
      clock.advance(TTL);
      await store.heartbeatBroker('b2', '10.0.0.2:8081', TTL); // also forgets the expired b1
      await store.heartbeatBroker('b1', '10.0.0.1:8081', TTL);
      expect((await store.liveBrokers()).map((b) => b.brokerId)).toEqual(['b1', 'b2']);
    });

    it('leaveBroker removes a broker at once, and an unknown one is a no-op', async () => {
      const { store } = f;
      await store.heartbeatBroker('b1', '10.0.0.1:8081', TTL);
      await store.heartbeatBroker('b2', '10.0.0.2:8081', TTL);
      await store.leaveBroker('b1');
      await store.leaveBroker('nobody');
      expect(await store.liveBrokers()).toEqual([{ brokerId: 'b2', endpoint: '10.0.0.2:8081' }]);
    });
  });
}
