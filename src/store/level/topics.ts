// Owns the catalog records of the LevelDB backend: topics and consumer groups in the `meta`
// sublevel (create, read, list, change with applyGroupChange), queue statistics, the dead-letter
// topic a group's first dead-lettered message creates, and the part of topic deletion that is
// the topic's own: its record, log, purge marks and queue heads (consumer state is cleared by
// ConsumerStates; LevelStore.deleteTopic composes the two under the topic lock).
import { BrokerError, Code } from '../../errors.js';
import { applyGroupChange, type GroupChange, type GroupRecord, type GroupSettings } from '../../domain/groups.js';
import { deadLetterTopic } from '../../domain/names.js';
import type { QueueStats, TopicRecord } from '../../domain/topics.js';
import { json, parse, type LevelDb, type Op } from './db.js';
import { join, prefixRange } from './keys.js';
import type { Queues } from './queues.js';

export const topicLock = (name: string): string => `topic\x00${name}`;

export class Topics {
  constructor(
    private readonly d: LevelDb,
    private readonly queues: Queues,
  ) {}

  async createTopic(topic: Omit<TopicRecord, 'createdAtMs'>): Promise<{ topic: TopicRecord; created: boolean }> {
    return this.d.mutex.run(topicLock(topic.name), async () => {
      const existing = await this.getTopic(topic.name);
      if (existing) {
        if (existing.messageType !== topic.messageType) {
          throw new BrokerError(
            Code.BAD_REQUEST,
            `topic ${topic.name} already exists with message type ${existing.messageType}; delete it first to change its type`,
          );
        }
        return { topic: existing, created: false };
      }
      const record: TopicRecord = { ...topic, createdAtMs: this.d.clock.now() };
      await this.d.write([this.topicPut(record)]);
      return { topic: record, created: true };
    });
  }

  async getTopic(name: string): Promise<TopicRecord | undefined> {
    const value = await this.d.meta.get(join('topic', name));
    return value ? parse<TopicRecord>(value) : undefined;
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
    await this.d.write([{ type: 'del', sublevel: this.d.meta, key: join('topic', record.name) }]);
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
      const record: GroupRecord = { ...group, createdAtMs: this.d.clock.now() };
      await this.d.write([this.groupPut(record)]);
      return { group: record, created: true };
    });
  }

  async updateGroup(name: string, change: GroupChange): Promise<GroupRecord | undefined> {
    return this.d.mutex.run(`group\x00${name}`, async () => {
      const existing = await this.getGroup(name);
      if (!existing) return undefined;
      const record = applyGroupChange(existing, change);
      await this.d.write([this.groupPut(record)]);
      return record;
    });
  }

  async getGroup(name: string): Promise<GroupRecord | undefined> {
    const value = await this.d.meta.get(join('group', name));
    return value ? parse<GroupRecord>(value) : undefined;
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
