// Owns the MessageLog of the LevelDB backend: appends (offsets from Queues, one batch), reads in
// offset order, and retention: purging a queue from its head by age, size (with the stored
// bytes Queues keeps) and count, leaving a purge mark so offsets are never reused, then moving
// consumer groups behind the new first offset up to it; purged messages take their index entries
// and delivery history (message-index.ts) with them. Lookups by message id or key.
import type { MessageQuery } from '../../domain/deliveries.js';
import type { MessageInput, StoredMessage } from '../../domain/messages.js';
import type { PurgeLimits, PurgeResult } from '../../domain/topics.js';
import type { MessageLog } from '../broker-store.js';
import type { ConsumerStates } from './consumer-state.js';
import type { LevelDb, Op } from './db.js';
import { logKey, logRange, parseU64, purgedKey, split } from './keys.js';
import { indexOps, type MessageIndex } from './message-index.js';
import type { Queues } from './queues.js';
import { decodeRecord } from './record-codec.js';
import { topicLock, type Topics } from './topics.js';

export class Log implements MessageLog {
  constructor(
    private readonly d: LevelDb,
    private readonly queues: Queues,
    private readonly topics: Topics,
    private readonly states: ConsumerStates,
    private readonly index: MessageIndex,
  ) {}

  findMessages(query: MessageQuery): Promise<StoredMessage[]> {
    return this.index.find(query);
  }

  async append(topic: string, queueId: number, messages: MessageInput[]): Promise<StoredMessage[]> {
    if (messages.length === 0) return [];
    await this.queues.head(topic, queueId);
    this.d.assertWritable(true); // a refused send takes no offsets
    const { ops, stored } = this.queues.assignOffsets(topic, queueId, messages); // synchronous from here to write()
    await this.d.write(ops, { grows: true });
    this.queues.notify([topic]);
    return stored;
  }

  async read(topic: string, queueId: number, fromOffset: number, max: number): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    for await (const value of this.d.log.values({ gte: logKey(topic, queueId, fromOffset), lt: logRange(topic, queueId).lt, limit: max })) {
      out.push(decodeRecord<StoredMessage>(value));
    }
    return out;
  }

  async purgeQueue(topic: string, queueId: number, limits: PurgeLimits): Promise<PurgeResult> {
    // Under the topic's lock: a concurrent deleteTopic must not see its purge mark come back.
    return this.d.mutex.run(topicLock(topic), async () => {
      if (!(await this.topics.getTopic(topic))) return { deleted: 0, minOffset: 0, more: false };
      const bytes = limits.maxBytes !== undefined ? await this.queues.storedBytes(topic, queueId) : undefined;
      const before = limits.olderThanMs !== undefined ? this.d.clock.now() - limits.olderThanMs : undefined;
      const ops: Op[] = [];
      let freed = 0;
      let keptFrom: number | undefined;
      let lastDeleted = -1;
      let deleted = 0;
      for await (const [key, value] of this.d.log.iterator({ ...logRange(topic, queueId), limit: limits.maxMessages })) {
        const offset = parseU64(split(key)[2]!);
        const message = decodeRecord<StoredMessage>(value);
        const old = before !== undefined && message.storeTimestampMs <= before;
        const over = bytes !== undefined && bytes - freed > limits.maxBytes!;
        if (!old && !over) {
          keptFrom = offset;
          break;
        }
        ops.push({ type: 'del', sublevel: this.d.log, key }, ...indexOps(this.d, message, 'del'));
        deleted++;
        freed += value.length;
        lastDeleted = offset;
      }
      if (ops.length === 0) return { deleted: 0, minOffset: keptFrom ?? (await this.queues.head(topic, queueId)), more: false };
      const minOffset = keptFrom ?? lastDeleted + 1;
      ops.push({ type: 'put', sublevel: this.d.meta, key: purgedKey(topic, queueId), value: Buffer.from(String(minOffset)) });
      await this.d.write(ops);
      this.queues.freed(topic, queueId, freed);
      await this.states.advance(topic, queueId, minOffset);
      await this.index.purgeHistory(topic, queueId, minOffset);
      return { deleted, minOffset, more: deleted >= limits.maxMessages };
    });
  }
}
