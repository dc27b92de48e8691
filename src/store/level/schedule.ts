// Owns the MessageSchedule of the LevelDB backend: DELAY messages in the `scheduled` sublevel,
// keyed by delivery time and a sequence number (kept in `meta scheduleSeq`), and their promotion
// into the topics' logs when due: the deletes and the appends of one promotion are one batch.
import type { MessageInput } from '../../domain/messages.js';
import type { MessageSchedule } from '../broker-store.js';
import type { LevelDb, Op } from './db.js';
import { parseU64, scheduledKey, split, u64 } from './keys.js';
import type { Queues } from './queues.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import type { Topics } from './topics.js';

type ScheduledRecord = MessageInput & { queueId: number };

export class Schedule implements MessageSchedule {
  private seq = 0;

  constructor(
    private readonly d: LevelDb,
    private readonly queues: Queues,
    private readonly topics: Topics,
  ) {}

  /** Reads the sequence number at open. */
  async load(): Promise<void> {
    const seq = await this.d.meta.get('scheduleSeq');
    this.seq = seq ? Number(seq.toString('utf8')) : 0;
  }

  async schedule(topic: string, queueId: number, messages: MessageInput[]): Promise<number[]> {
    const ops: Op[] = [];
    const seqs: number[] = [];
    for (const m of messages) {
      const seq = this.seq++;
      const deliverAt = m.deliveryTimestampMs ?? this.d.clock.now();
      const record: ScheduledRecord = { ...m, topic, queueId };
      ops.push({ type: 'put', sublevel: this.d.scheduled, key: scheduledKey(deliverAt, seq), value: encodeRecord(record) });
      seqs.push(seq);
    }
    ops.push({ type: 'put', sublevel: this.d.meta, key: 'scheduleSeq', value: Buffer.from(String(this.seq)) });
    await this.d.write(ops, { grows: true });
    return seqs;
  }

  async promoteDueScheduled(limit: number): Promise<number> {
    return this.d.mutex.run('scheduled', async () => {
      const now = this.d.clock.now();
      const due: { key: string; message: ScheduledRecord }[] = [];
      for await (const [key, value] of this.d.scheduled.iterator({ lt: u64(now + 1), limit })) {
        due.push({ key, message: decodeRecord<ScheduledRecord>(value) });
      }
      if (due.length === 0) return 0;
      const ops: Op[] = [];
      const topics: string[] = [];
      const appends: { queueId: number; input: MessageInput }[] = [];
      for (const { key, message } of due) {
        ops.push({ type: 'del', sublevel: this.d.scheduled, key });
        if (!(await this.topics.getTopic(message.topic))) continue; // topic deleted meanwhile: the message goes with it
        const { queueId, ...input } = message;
        await this.queues.head(message.topic, queueId);
        appends.push({ queueId, input });
        topics.push(message.topic);
      }
      // Synchronous from offset assignment to write().
      for (const { queueId, input } of appends) ops.push(...this.queues.assignOffsets(input.topic, queueId, [input]).ops);
      await this.d.write(ops);
      this.queues.notify(topics);
      return due.length;
    });
  }

  async nextScheduledInMs(): Promise<number | undefined> {
    for await (const key of this.d.scheduled.keys({ limit: 1 })) return Math.max(0, parseU64(split(key)[0]!) - this.d.clock.now());
    return undefined;
  }
}
