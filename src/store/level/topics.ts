// Owns the catalog records of the LevelDB backend: topics and consumer groups in the `meta`
// sublevel (create, read, list, change with applyGroupChange), queue statistics, the dead-letter
// topic a group's first dead-lettered message creates, and the part of topic deletion that is
// the topic's own: its record, log, purge marks and queue heads (consumer state is cleared by
// ConsumerStates; LevelStore.deleteTopic composes the two under the topic lock). Topic and group
// records are cached in memory (sends, receives and acks read them on every call): filled by
// reads, updated by the create and update that write them, dropped by the delete; absent
// records are not cached (a dead-letter topic is created inside another transition's batch).
import { BrokerError, Code } from '../../errors.js';
import { applyGroupChange, type GroupChange, type GroupRecord, type GroupSettings } from '../../domain/groups.js';
import { deadLetterTopic } from '../../domain/names.js';
import type { QueueStats, TopicRecord } from '../../domain/topics.js';
import { BoundedCache } from './bounded-cache.js';
import { json, parse, type LevelDb, type Op } from './db.js';
import { join, prefixRange } from './keys.js';
import type { Queues } from './queues.js';

export const topicLock = (name: string): string => `topic\x00${name}`;

/** Records of each kind kept in memory at most (one entry each). */
export const CATALOG_CACHE_ENTRIES = 10_000;

/** A cached record: frozen, since every caller gets the same object. */
function frozen<T extends object>(record: T): Readonly<T> {
  return Object.freeze(record);
}

export class Topics {
  private readonly topicCache = new BoundedCache<string, TopicRecord>(CATALOG_CACHE_ENTRIES);
  private readonly groupCache = new BoundedCache<string, GroupRecord>(CATALOG_CACHE_ENTRIES);

  constructor(
    private readonly d: LevelDb,
    private readonly queues: Queues,
  ) {}

  async createTopic(topic: Omit<TopicRecord, 'createdAtMs'>): Promise<{ topic: TopicRecord; created: boolean }> {
    return this.d.mutex.run(topicLock(topic.name), async () => {
      const existing = await this.getTopic(topic.name);
      if (existing) {
        if (existing.messageType !== topic.messageType) {
          throw new BrokerError(Code.BAD_REQUEST, `topic ${topic.name} already exists with message type ${existing.messageType}; delete it first to change its type`);
        }
        return { topic: existing, created: false };
      }
      const record: TopicRecord = frozen({ ...topic, createdAtMs: this.d.clock.now() });
      await this.d.write([this.topicPut(record)]);
      this.topicCache.set(record.name, record, 1);
      return { topic: record, created: true };
    });
  }

  async getTopic(name: string): Promise<TopicRecord | undefined> {
    const cached = this.topicCache.get(name);
    if (cached) return cached;
    const generation = this.topicCache.generation;
    const value = await this.d.meta.get(join('topic', name));
    if (!value) return undefined;
    const record = frozen(parse<TopicRecord>(value));
    this.topicCache.fill(name, record, 1, generation);
    return record;
  }

  async listTopics(): Promise<TopicRecord[]> {
    const out: TopicRecord[] = [];
    for await (const value of this.d.meta.values(prefixRange('topic'))) out.push(parse<TopicRecord>(value));
    return out;
  }

  /**
   * Deletes the topic record, then its log and purge marks, through the group-commit writer.
   * Caller holds the topic lock. The queue heads are awaited first: an append that started
   * before (possibly still loading its head) has then queued its write, so the record delete
   * and the range deletes after it come later and no message of it survives the deletion.
   */
  async deleteTopicData(record: TopicRecord): Promise<void> {
    for (let queueId = 0; queueId < record.queueCount; queueId++) await this.queues.head(record.name, queueId);
    this.topicCache.delete(record.name);
    try {
      await this.d.write([{ type: 'del', sublevel: this.d.meta, key: join('topic', record.name) }]);
    } finally {
      this.topicCache.delete(record.name); // again: a read during the write may not fill it
    }
    await this.d.deleteRange(this.d.log, prefixRange(record.name));
    await this.d.deleteRange(this.d.meta, prefixRange('purged', record.name));
    this.queues.forgetTopic(record.name);
  }

  async queueStats(topic: string): Promise<QueueStats[]> {
    const record = await this.getTopic(topic);
    if (!record) return [];
    const out: QueueStats[] = [];
    for (let queueId = 0; queueId < record.queueCount; queueId++) {
      const maxOffset = await this.queues.head(topic, queueId);
      out.push({ topic, queueId, minOffset: await this.queues.firstOffset(topic, queueId), maxOffset });
    }
    return out;
  }

  /**
   * The group's dead-letter topic; when it does not exist yet, the put that creates it is added
   * to `ops` (written with the transition that dead-letters the message).
   */
  async ensureDeadLetterTopic(group: string, ops: Op[]): Promise<string> {
    const name = deadLetterTopic(group);
    if (!(await this.getTopic(name))) ops.push(this.topicPut({ name, messageType: 'NORMAL', queueCount: 1, createdAtMs: this.d.clock.now() }));
    return name;
  }

  private topicPut(record: TopicRecord): Op {
    return { type: 'put', sublevel: this.d.meta, key: join('topic', record.name), value: json(record) };
  }

  async createGroup(group: GroupSettings): Promise<{ group: GroupRecord; created: boolean }> {
    return this.d.mutex.run(`group\x00${group.name}`, async () => {
      const existing = await this.getGroup(group.name);
      if (existing) return { group: existing, created: false };
      const record: GroupRecord = frozen({ ...group, createdAtMs: this.d.clock.now() });
      await this.writeGroup(record);
      return { group: record, created: true };
    });
  }

  async updateGroup(name: string, change: GroupChange): Promise<GroupRecord | undefined> {
    return this.d.mutex.run(`group\x00${name}`, async () => {
      const existing = await this.getGroup(name);
      if (!existing) return undefined;
      const record = frozen(applyGroupChange(existing, change));
      await this.writeGroup(record);
      return record;
    });
  }

  async getGroup(name: string): Promise<GroupRecord | undefined> {
    const cached = this.groupCache.get(name);
    if (cached) return cached;
    const generation = this.groupCache.generation;
    const value = await this.d.meta.get(join('group', name));
    if (!value) return undefined;
    const record = frozen(parse<GroupRecord>(value));
    this.groupCache.fill(name, record, 1, generation);
    return record;
  }

  /** Writes a group record (caller holds the group lock) and caches it once written; a failed write drops it. */
  private async writeGroup(record: GroupRecord): Promise<void> {
    this.groupCache.delete(record.name);
    await this.d.write([this.groupPut(record)]);
    this.groupCache.set(record.name, record, 1);
  }

  async listGroups(): Promise<GroupRecord[]> {
    const out: GroupRecord[] = [];
    for await (const value of this.d.meta.values(prefixRange('group'))) out.push(parse<GroupRecord>(value));
    return out;
  }

  private groupPut(record: GroupRecord): Op {
    return { type: 'put', sublevel: this.d.meta, key: join('group', record.name), value: json(record) };
  }
}
