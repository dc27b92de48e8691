// Owns the backend-agnostic BrokerStore contract: every storage backend (LevelDB and
// PostgreSQL) runs it through `storeContract(name, makeStore, capabilities)`, one section
// per concern (the files next to this one). Tests talk to the store only through the BrokerStore
// interface and drive time with a FakeClock. The declared capabilities choose sections at
// collection time (restart: persistent; shared: sharedAcrossProcesses, registered only for shared
// backends) and are checked against the store's own `capabilities`.
import { describe, expect, it } from 'vitest';
import type { StoreCapabilities } from '../../../../src/store/broker-store.js';
import { appendReadContract } from './append-read.js';
import { authContract } from './auth.js';
import { autoRenewContract } from './auto-renew.js';
import { consumptionDeliveryContract } from './consumption-delivery.js';
import { consumptionFifoContract } from './consumption-fifo.js';
import { consumptionRedeliveryContract } from './consumption-redelivery.js';
import { countersContract } from './counters.js';
import { decisionsContract } from './decisions.js';
import { groupsContract } from './groups.js';
import { useStore, type ContractTarget, type MakeStore } from './helpers.js';
import { leasesContract } from './leases.js';
import { membershipContract } from './membership.js';
import { messageTraceContract } from './message-trace.js';
import { offsetResetContract } from './offset-reset.js';
import { restartContract } from './restart.js';
import { retentionContract } from './retention.js';
import { scheduleContract } from './schedule.js';
import { sharedContract } from './shared.js';
import { topicsContract } from './topics.js';
import { transactionChecksContract } from './transactions-checks.js';
import { transactionDecisionsContract } from './transactions-decisions.js';
import { transactionListingContract } from './transactions-listing.js';
import { wakeUpsContract } from './wake-ups.js';

export { makeMessage, type ContractTarget, type MakeStore, type StoreHarness } from './helpers.js';

export function storeContract(name: string, makeStore: MakeStore, capabilities: StoreCapabilities): void {
  const target: ContractTarget = { makeStore, capabilities };
  describe(`BrokerStore contract: ${name}`, () => {
    describe('capabilities', () => {
      const f = useStore(target);
      it('the store declares the capabilities the suite was given, and its harness supports them', () => {
        expect(f.store.capabilities).toEqual(capabilities);
        if (capabilities.persistent) expect(f.harness.reopen).toBeTypeOf('function');
        if (capabilities.sharedAcrossProcesses) expect(f.harness.openTwin).toBeTypeOf('function');
      });
    });
    topicsContract(target);
    groupsContract(target);
    appendReadContract(target);
    scheduleContract(target);
    transactionDecisionsContract(target);
    transactionChecksContract(target);
    transactionListingContract(target);
    decisionsContract(target);
    countersContract(target);
    consumptionDeliveryContract(target);
    consumptionRedeliveryContract(target);
    consumptionFifoContract(target);
    autoRenewContract(target);
    offsetResetContract(target);
    retentionContract(target);
    messageTraceContract(target);
    wakeUpsContract(target);
    leasesContract(target);
    membershipContract(target);
    authContract(target);
    restartContract(target);
    if (capabilities.sharedAcrossProcesses) sharedContract(target);
  });
}
