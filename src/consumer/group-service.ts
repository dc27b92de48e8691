// Owns consumer-group administration: FIFO flag and max delivery attempts per group, and the
// group's progress per topic (consumed offset, lag, in flight).
import { BrokerError, Code } from '../errors.js';
import { validateGroupName } from '../message/names.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { GroupRecord, GroupTopicStats } from '../store/types.js';
import type { ConsumerService } from './consumer-service.js';

export const MAX_DELIVERY_ATTEMPTS_LIMIT = 1000;

export class GroupService {
  constructor(private readonly deps: { store: BrokerStore; consumer: ConsumerService }) {}

  async update(name: string, change: { fifo?: boolean; maxDeliveryAttempts?: number }): Promise<GroupRecord> {
    const current = await this.deps.consumer.group(name);
    const attempts = change.maxDeliveryAttempts ?? current.maxDeliveryAttempts;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_DELIVERY_ATTEMPTS_LIMIT) {
      throw new BrokerError(Code.BAD_REQUEST, `max delivery attempts ${attempts} is out of range: use 1 to ${MAX_DELIVERY_ATTEMPTS_LIMIT}`);
    }
    return this.deps.store.upsertGroup({ name, fifo: change.fifo ?? current.fifo, maxDeliveryAttempts: attempts });
  }

  async describe(name: string): Promise<{ group: GroupRecord; progress: GroupTopicStats[] }> {
    validateGroupName(name);
    const group = await this.deps.store.getGroup(name);
    if (!group) throw new BrokerError(Code.CONSUMER_GROUP_NOT_FOUND, `consumer group ${name} does not exist (groups are created when a consumer first uses them, or with "halfmoon group update")`);
    return { group, progress: await this.deps.store.groupStats(name) };
  }

  list(): Promise<GroupRecord[]> {
    return this.deps.store.listGroups();
  }
}
