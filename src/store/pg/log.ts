// Owns the PostgreSQL store's committed logs and DELAY schedule: appends (offsets from the queue
// head row, in the committing transaction), reads, retention by range deletes on the primary
// key, and promotion of due DELAY messages (SKIP LOCKED, so each is promoted by one broker);
// lookups by message id and by key (message trace).
import type { MessageQuery } from '../../domain/deliveries.js';
import { placedMessage, type MessageInput, type StoredMessage } from '../../domain/messages.js';
import type { PurgeLimits, PurgeResult } from '../../domain/topics.js';
import type { Tx } from './db.js';
import { fromRow, headerOf, sizeOf, type PgContext } from './records.js';

type Appendable = MessageInput & Partial<Pick<StoredMessage, 'transactionId' | 'deadLetter'>>;
interface MessageRow {
  header: Omit<StoredMessage, 'body'>;
  body: Buffer;
}

/** The `batched` key of the changes that append to a queue (they serialize on its head row). */
export const queueKey = (topic: string, queueId: number): string => `queue:${topic}:${queueId}`;

/**
 * Appends inside the caller's transaction: takes offsets from the head row (locked until
 * commit), inserts the rows and queues the wake-up. The caller's other writes commit with it.
 */
export async function appendIn(tx: Tx, nowMs: number, topic: string, queueId: number, inputs: Appendable[]): Promise<StoredMessage[]> {
  if (inputs.length === 0) return [];
  // Sizes first (they go into the head row in the same statement that assigns offsets).
  const draft = inputs.map((input) => placedMessage(input, topic, queueId, 0, nowMs));
  const sizes = draft.map((m) => sizeOf(headerOf(m), m.body));
  const bytes = sizes.reduce((a, b) => a + b, 0);
  // One round trip: offsets from the head row and the rows inserted at them (headers get their offsets there).
  const [head] = await tx.rows<{ first_offset: number }>('append_messages', [topic, queueId, nowMs, sizes, bytes, draft.map((m) => headerOf(m)), draft.map((m) => m.body)]);
  const first = head!.first_offset;
  draft.forEach((m, i) => (m.offset = first + i));
  tx.notify('appended', topic);
  return draft;
}

export class PgLog {
  constructor(private readonly ctx: PgContext) {}

  append(topic: string, queueId: number, messages: MessageInput[]): Promise<StoredMessage[]> {
    if (messages.length === 0) return Promise.resolve([]);
    // Appends to one queue serialize on its head row: concurrent ones share a transaction.
    return this.ctx.db.batched(queueKey(topic, queueId), (tx) => appendIn(tx, this.ctx.clock.now(), topic, queueId, messages));
  }

  async findMessages(query: MessageQuery): Promise<StoredMessage[]> {
    const [statement, value] = query.messageId !== undefined ? ['find_messages_by_id', query.messageId] : ['find_messages_by_key', query.key ?? ''];
    const rows = await this.ctx.db.rows<{ header: Omit<StoredMessage, 'body'>; body: Buffer }>(statement, [value, query.topic ?? '', query.limit]);
    return rows.map((r) => fromRow<StoredMessage>(r));
  }

  async read(topic: string, queueId: number, fromOffset: number, max: number): Promise<StoredMessage[]> {
    const rows = await this.ctx.db.rows<MessageRow>('read_messages', [topic, queueId, fromOffset, max]);
    return rows.map((r) => fromRow<StoredMessage>(r));
  }

  purgeQueue(topic: string, queueId: number, limits: PurgeLimits): Promise<PurgeResult> {
    const now = this.ctx.clock.now();
    return this.ctx.db.tx(async (tx) => {
      const [topicRow] = await tx.rows('get_topic', [topic]);
      if (!topicRow) return { deleted: 0, minOffset: 0, more: false };
      // The head row lock: appends to this queue wait for the purge (it is short).
      const [head] = await tx.rows<{ next_offset: number; min_offset: number; bytes: number }>('lock_head', [topic, queueId]);
      if (!head) return { deleted: 0, minOffset: 0, more: false };
      const before = limits.olderThanMs !== undefined ? now - limits.olderThanMs : undefined;
      const candidates = await tx.rows<{ queue_offset: number; store_at_ms: number; size: number }>('purge_candidates', [topic, queueId, limits.maxMessages]);
      let freed = 0;
      let deleted = 0;
      let keptFrom: number | undefined;
      let lastDeleted = -1;
      for (const c of candidates) {
        const old = before !== undefined && c.store_at_ms <= before;
        const over = limits.maxBytes !== undefined && head.bytes - freed > limits.maxBytes;
        if (!old && !over) {
          keptFrom = c.queue_offset;
          break;
        }
        freed += c.size;
        deleted++;
        lastDeleted = c.queue_offset;
      }
      if (deleted === 0) return { deleted: 0, minOffset: keptFrom ?? head.next_offset, more: false };
      const minOffset = keptFrom ?? lastDeleted + 1;
      await tx.run('delete_message_range', [topic, queueId, candidates[0]!.queue_offset, minOffset]);
      await tx.run('set_head_purged', [topic, queueId, minOffset, freed]);
      // Groups behind the new first offset move up to it and forget deliveries of deleted messages.
      await tx.run('cursors_follow_purge', [topic, queueId, minOffset]);
      await tx.run('inflight_follow_purge', [topic, queueId, minOffset]);
      return { deleted, minOffset, more: deleted >= limits.maxMessages };
    });
  }

  schedule(topic: string, queueId: number, messages: MessageInput[]): Promise<number[]> {
    const now = this.ctx.clock.now();
    return this.ctx.db.tx(async (tx) => {
      const seqs: number[] = [];
      for (const m of messages) {
        const [row] = await tx.rows<{ seq: number }>('insert_scheduled', [m.deliveryTimestampMs ?? now, topic, queueId, headerOf(m), m.body]);
        seqs.push(row!.seq);
      }
      return seqs;
    });
  }

  promoteDueScheduled(limit: number): Promise<number> {
    const now = this.ctx.clock.now();
    return this.ctx.db.tx(async (tx) => {
      const due = await tx.rows<MessageRow & { seq: number; deliver_at_ms: number; topic: string; queue_id: number }>('take_due_scheduled', [now, limit]);
      due.sort((a, b) => a.deliver_at_ms - b.deliver_at_ms || a.seq - b.seq);
      // Per queue in delivery order; queues in a fixed order, so two promoters never deadlock on head rows.
      const byQueue = new Map<string, { topic: string; queueId: number; inputs: MessageInput[] }>();
      const exists = new Map<string, boolean>();
      for (const row of due) {
        if (!exists.has(row.topic)) exists.set(row.topic, (await tx.rows('get_topic', [row.topic])).length > 0);
        if (!exists.get(row.topic)) continue; // topic deleted meanwhile: the message goes with it
        const key = `${row.topic}\x00${row.queue_id}`;
        let q = byQueue.get(key);
        if (!q) byQueue.set(key, (q = { topic: row.topic, queueId: row.queue_id, inputs: [] }));
        const { queueId: _q, ...input } = fromRow<MessageInput & { queueId?: number }>(row);
        q.inputs.push(input);
      }
      for (const key of [...byQueue.keys()].sort()) {
        const q = byQueue.get(key)!;
        await appendIn(tx, now, q.topic, q.queueId, q.inputs);
      }
      return due.length;
    });
  }

  async nextScheduledInMs(): Promise<number | undefined> {
    const [row] = await this.ctx.db.rows<{ at: number | null }>('next_scheduled');
    return row?.at == null ? undefined : Math.max(0, row.at - this.ctx.clock.now());
  }
}
