// Owns the PostgreSQL store's topics, consumer groups and leases: records as jsonb rows, group
// changes applied with the domain rule under the row lock, and leases taken by one upsert that
// succeeds only when the lease is free, expired or already the caller's.
import { BrokerError, Code } from '../../errors.js';
import { applyGroupChange, type GroupChange, type GroupRecord, type GroupSettings } from '../../domain/groups.js';
import type { QueueStats, TopicRecord } from '../../domain/topics.js';
import type { PgContext } from './records.js';

export class PgCatalog {
  constructor(private readonly ctx: PgContext) {}

  async createTopic(topic: Omit<TopicRecord, 'createdAtMs'>): Promise<{ topic: TopicRecord; created: boolean }> {
    const record: TopicRecord = { ...topic, createdAtMs: this.ctx.clock.now() };
    return this.ctx.db.tx(async (tx) => {
      const [inserted] = await tx.rows<{ record: TopicRecord }>('insert_topic', [topic.name, JSON.stringify(record)]);
      if (inserted) return { topic: inserted.record, created: true };
      const [existing] = await tx.rows<{ record: TopicRecord }>('get_topic', [topic.name]);
      if (!existing) throw new BrokerError(Code.INTERNAL_ERROR, `topic ${topic.name} was deleted while being created; create it again`);
      if (existing.record.messageType !== topic.messageType) {
        throw new BrokerError(Code.BAD_REQUEST, `topic ${topic.name} already exists with message type ${existing.record.messageType}; delete it first to change its type`);
      }
      return { topic: existing.record, created: false };
    });
  }

  async getTopic(name: string): Promise<TopicRecord | undefined> {
    const [row] = await this.ctx.db.rows<{ record: TopicRecord }>('get_topic', [name]);
    return row?.record;
  }

  async listTopics(): Promise<TopicRecord[]> {
    return (await this.ctx.db.rows<{ record: TopicRecord }>('list_topics')).map((r) => r.record);
  }

  /** One transaction: the topic, its log, heads, cursors and in-flight deliveries. */
  deleteTopic(name: string): Promise<boolean> {
    return this.ctx.db.tx(async (tx) => {
      if ((await tx.run('delete_topic', [name])) === 0) return false;
      for (const statement of ['delete_topic_messages', 'delete_topic_heads', 'delete_topic_cursors', 'delete_topic_inflight']) await tx.run(statement, [name]);
      return true;
    });
  }

  async queueStats(topic: string): Promise<QueueStats[]> {
    const record = await this.getTopic(topic);
    if (!record) return [];
    const out: QueueStats[] = [];
    for (let queueId = 0; queueId < record.queueCount; queueId++) {
      const [head] = await this.ctx.db.rows<{ next_offset: number }>('get_head', [topic, queueId]);
      const [first] = await this.ctx.db.rows<{ first: number | null }>('first_offset', [topic, queueId]);
      const maxOffset = head?.next_offset ?? 0;
      out.push({ topic, queueId, minOffset: first?.first ?? maxOffset, maxOffset });
    }
    return out;
  }

  createGroup(group: GroupSettings): Promise<{ group: GroupRecord; created: boolean }> {
    const record: GroupRecord = { ...group, createdAtMs: this.ctx.clock.now() };
    return this.ctx.db.tx(async (tx) => {
      const [inserted] = await tx.rows<{ record: GroupRecord }>('insert_group', [group.name, JSON.stringify(record)]);
      if (inserted) return { group: inserted.record, created: true };
      const [existing] = await tx.rows<{ record: GroupRecord }>('get_group', [group.name]);
      if (!existing) throw new BrokerError(Code.INTERNAL_ERROR, `group ${group.name} disappeared while being created; create it again`);
      return { group: existing.record, created: false };
    });
  }

  updateGroup(name: string, change: GroupChange): Promise<GroupRecord | undefined> {
    return this.ctx.db.tx(async (tx) => {
      const [row] = await tx.rows<{ record: GroupRecord }>('lock_group', [name]);
      if (!row) return undefined;
      const record = applyGroupChange(row.record, change);
      await tx.run('update_group', [name, JSON.stringify(record)]);
      return record;
    });
  }

  async getGroup(name: string): Promise<GroupRecord | undefined> {
    const [row] = await this.ctx.db.rows<{ record: GroupRecord }>('get_group', [name]);
    return row?.record;
  }

  async listGroups(): Promise<GroupRecord[]> {
    return (await this.ctx.db.rows<{ record: GroupRecord }>('list_groups')).map((r) => r.record);
  }

  async tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.ctx.db.rows('try_lease', [name, holder, this.ctx.clock.now(), ttlMs])).length > 0;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.ctx.db.rows('release_lease', [name, holder]);
  }
}
