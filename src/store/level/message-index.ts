// Owns two LevelDB records that follow each committed message for as long as it is retained:
// its index entries (by message id and by each key, written in the batch that appends it) and
// its delivery history. Since format 5 the current attempt of a group is its in-flight record
// (which says when and to whom it was handed out); one history record per attempt is written
// when the attempt is over: with the ack or the dead-lettering (then it says how it ended), or
// when a redelivery or an offset reset replaces it. Before format 5 each delivery was written in
// the receive's batch and its end as a record of its own; both forms are read. Retention and
// topic deletion drop all of it with the message; lookups read the log entry back, so an entry
// never outlives it visibly.
import { deliveryTrace, type DeliveryEnd, type DeliveryEvent, type DeliveryRecord, type MessageQuery } from '../../domain/deliveries.js';
import type { StoredMessage } from '../../domain/messages.js';
import { BULK_BATCH, EMPTY, json, parse, type LevelDb, type Op } from './db.js';
import type { StoredInflight } from './inflight-codec.js';
import { deliveryEndKey, deliveryKey, join, logKey, messageIdKey, messageKeyKey, parseU64, prefixRange, split, u64 } from './keys.js';
import { decodeRecord } from './record-codec.js';

/** The index entries of a committed message (put with its append, deleted with it). */
export function indexOps(d: LevelDb, m: Pick<StoredMessage, 'messageId' | 'keys' | 'topic' | 'queueId' | 'offset'>, type: 'put' | 'del' = 'put'): Op[] {
  const op = (key: string): Op => (type === 'put' ? { type, sublevel: d.messageIndex, key, value: EMPTY } : { type, sublevel: d.messageIndex, key });
  const ops: Op[] = [op(messageIdKey(m.messageId, m.topic, m.queueId, m.offset))];
  if (m.keys.length > 0) for (const k of new Set(m.keys)) ops.push(op(messageKeyKey(k, m.topic, m.queueId, m.offset)));
  return ops;
}

/** What a history record of an attempt holds: the delivery, and how it ended when it did. */
interface AttemptValue {
  deliveredAtMs: number;
  clientId?: string;
  outcome?: DeliveryEnd['outcome'];
  atMs?: number;
}

function attemptValue(e: StoredInflight & { atMs: number }, end?: Pick<DeliveryEnd, 'outcome' | 'atMs'>): Buffer {
  const v: AttemptValue = { deliveredAtMs: e.atMs };
  if (e.clientId !== undefined) v.clientId = e.clientId;
  if (end) {
    v.outcome = end.outcome;
    v.atMs = end.atMs;
  }
  return json(v);
}

/** How a group's attempt ended (in the ack's or the dead-lettering's batch); `entry` is its in-flight record. */
export function attemptEndOp(d: LevelDb, topic: string, queueId: number, group: string, entry: StoredInflight, end: Pick<DeliveryEnd, 'outcome' | 'atMs'>): Op {
  if (entry.atMs === undefined) {
    // Handed out before format 5: its delivery has a record already; the end goes next to it.
    const value = json({ outcome: end.outcome, atMs: end.atMs });
    return { type: 'put', sublevel: d.deliveries, key: deliveryEndKey(topic, queueId, entry.offset, group, entry.attempt), value };
  }
  const value = attemptValue({ ...entry, atMs: entry.atMs }, end);
  return { type: 'put', sublevel: d.deliveries, key: deliveryKey(topic, queueId, entry.offset, group, entry.attempt), value };
}

/** The history record of an attempt a redelivery or an offset reset replaces, if it needs one (in that batch). */
export function attemptOverOp(d: LevelDb, topic: string, queueId: number, group: string, entry: StoredInflight): Op | undefined {
  if (entry.attempt === 0 || entry.atMs === undefined) return undefined; // never handed out, or recorded at its delivery
  return { type: 'put', sublevel: d.deliveries, key: deliveryKey(topic, queueId, entry.offset, group, entry.attempt), value: attemptValue({ ...entry, atMs: entry.atMs }) };
}

export class MessageIndex {
  constructor(private readonly d: LevelDb) {}

  /** Retained messages by id or key, newest first (store time, then offset). */
  async find(q: MessageQuery): Promise<StoredMessage[]> {
    const prefix = q.messageId !== undefined ? ['id', q.messageId] : ['key', q.key ?? ''];
    const found: StoredMessage[] = [];
    for await (const key of this.d.messageIndex.keys(prefixRange(...prefix))) {
      const parts = split(key);
      const [topic, queueId, offset] = [parts[parts.length - 3]!, parseU64(parts[parts.length - 2]!), parseU64(parts[parts.length - 1]!)];
      if (q.topic && topic !== q.topic) continue;
      const value = await this.d.log.get(logKey(topic, queueId, offset));
      if (!value) continue; // removed meanwhile
      const m = decodeRecord<StoredMessage>(value);
      if (q.messageId !== undefined ? m.messageId === q.messageId : m.keys.includes(q.key ?? '')) found.push(m);
    }
    found.sort((a, b) => b.storeTimestampMs - a.storeTimestampMs || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : b.offset - a.offset));
    return found.slice(0, q.limit);
  }

  /** The message's deliveries with their outcomes; `current`: each group's in-flight (handed out) record of it. */
  async history(topic: string, queueId: number, offset: number, current: readonly { group: string; entry: StoredInflight }[]): Promise<DeliveryRecord[]> {
    const delivered: DeliveryEvent[] = [];
    const ended: DeliveryEnd[] = [];
    for await (const [key, value] of this.d.deliveries.iterator(prefixRange(topic, u64(queueId), u64(offset)))) {
      const parts = split(key);
      const group = parts[3]!;
      const attempt = parseU64(parts[4]!);
      if (parts.length > 5) {
        ended.push({ group, attempt, ...parse<Omit<DeliveryEnd, 'group' | 'attempt'>>(value) });
        continue;
      }
      const { deliveredAtMs, clientId, outcome, atMs } = parse<AttemptValue>(value);
      delivered.push({ group, attempt, deliveredAtMs, ...(clientId !== undefined ? { clientId } : {}) });
      if (outcome !== undefined && atMs !== undefined) ended.push({ group, attempt, outcome, atMs });
    }
    const inFlight = new Map<string, number>();
    for (const { group, entry } of current) {
      inFlight.set(group, entry.attempt);
      if (entry.atMs === undefined || delivered.some((e) => e.group === group && e.attempt === entry.attempt)) continue;
      delivered.push({ group, attempt: entry.attempt, deliveredAtMs: entry.atMs, ...(entry.clientId !== undefined ? { clientId: entry.clientId } : {}) });
    }
    return deliveryTrace(delivered, ended, inFlight);
  }

  /** Drops the delivery history of a queue's offsets below `belowOffset` (after retention removed them). */
  async purgeHistory(topic: string, queueId: number, belowOffset: number): Promise<void> {
    await this.d.deleteRange(this.d.deliveries, { gte: join(topic, u64(queueId), u64(0)), lt: join(topic, u64(queueId), u64(belowOffset)) });
  }

  /** Drops a topic's index entries and delivery history (before its log goes). */
  async deleteTopic(topic: string): Promise<void> {
    let ops: Op[] = [];
    for await (const value of this.d.log.values(prefixRange(topic))) {
      ops.push(...indexOps(this.d, decodeRecord<StoredMessage>(value), 'del'));
      if (ops.length >= BULK_BATCH) {
        await this.d.write(ops);
        ops = [];
      }
    }
    if (ops.length > 0) await this.d.write(ops);
    await this.d.deleteRange(this.d.deliveries, prefixRange(topic));
  }

  /** Storage format 4: indexes the messages stored before the index existed (idempotent). */
  async buildIndex(): Promise<void> {
    let ops: Op[] = [];
    for await (const value of this.d.log.values()) {
      ops.push(...indexOps(this.d, decodeRecord<StoredMessage>(value)));
      if (ops.length >= BULK_BATCH) {
        await this.d.write(ops);
        ops = [];
      }
    }
    if (ops.length > 0) await this.d.write(ops);
  }
}
