// Owns two LevelDB records that follow each committed message for as long as it is retained:
// its index entries (by message id and by each key, written in the batch that appends it) and
// its delivery history. Since format 5 the current attempt of a group is its in-flight record
// (which says when and to whom it was handed out); one history record per attempt is written
// when the attempt is over: with the ack or the dead-lettering (then it says how it ended), or
// when a redelivery or an offset reset replaces it. Before format 5 each delivery was written in
// the receive's batch and its end as a record of its own; both forms are read. History records
// are binary since format 7 (JSON ones of earlier formats are read as they are). Retention and
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

/** First byte of the binary form of a history record (format 7; a JSON one starts with `{`). */
const ATTEMPT_BINARY = 0x01;
const HAS_CLIENT = 1;
const HAS_END = 2;
/** How an attempt ended, by its byte in the binary form. */
const OUTCOMES: readonly DeliveryEnd['outcome'][] = ['ACKED', 'DEAD_LETTERED'];
/** Client ids this long or shorter fit a u16 byte length in UTF-8; longer ones keep the JSON form. */
const MAX_CLIENT_CHARS = 21_845;

/**
 * The binary form (since format 7, about a third of the JSON one): marker, flags, deliveredAtMs
 * (f64), then when it ended the outcome (u8) and its time (f64), then the client id (u16 byte
 * length, UTF-8) when the receive named one.
 */
function attemptValue(deliveredAtMs: number, clientId: string | undefined, end?: Pick<DeliveryEnd, 'outcome' | 'atMs'>): Buffer {
  if (clientId !== undefined && clientId.length > MAX_CLIENT_CHARS) {
    const v: AttemptValue = { deliveredAtMs, clientId };
    if (end) Object.assign(v, { outcome: end.outcome, atMs: end.atMs });
    return json(v);
  }
  const clientBytes = clientId === undefined ? 0 : Buffer.byteLength(clientId, 'utf8');
  const b = Buffer.allocUnsafe(10 + (end ? 9 : 0) + (clientId === undefined ? 0 : 2 + clientBytes));
  b[0] = ATTEMPT_BINARY;
  b[1] = (clientId === undefined ? 0 : HAS_CLIENT) | (end ? HAS_END : 0);
  b.writeDoubleBE(deliveredAtMs, 2);
  let at = 10;
  if (end) {
    b[at] = OUTCOMES.indexOf(end.outcome);
    b.writeDoubleBE(end.atMs, at + 1);
    at += 9;
  }
  if (clientId !== undefined) {
    b.writeUInt16BE(clientBytes, at);
    b.write(clientId, at + 2, clientBytes, 'utf8');
  }
  return b;
}

/** Reads a history record of either form (JSON up to format 6). */
export function readAttemptValue(b: Buffer): AttemptValue {
  if (b[0] !== ATTEMPT_BINARY) return parse<AttemptValue>(b);
  const flags = b[1]!;
  const v: AttemptValue = { deliveredAtMs: b.readDoubleBE(2) };
  let at = 10;
  if (flags & HAS_END) {
    const outcome = OUTCOMES[b[at]!];
    if (outcome !== undefined) {
      v.outcome = outcome;
      v.atMs = b.readDoubleBE(at + 1);
    }
    at += 9;
  }
  if (flags & HAS_CLIENT) v.clientId = b.toString('utf8', at + 2, at + 2 + b.readUInt16BE(at));
  return v;
}

/** How a group's attempt ended (in the ack's or the dead-lettering's batch); `entry` is its in-flight record. */
export function attemptEndOp(d: LevelDb, topic: string, queueId: number, group: string, entry: StoredInflight, end: Pick<DeliveryEnd, 'outcome' | 'atMs'>): Op {
  if (entry.atMs === undefined) {
    // Handed out before format 5: its delivery has a record already; the end goes next to it.
    const value = json({ outcome: end.outcome, atMs: end.atMs });
    return { type: 'put', sublevel: d.deliveries, key: deliveryEndKey(topic, queueId, entry.offset, group, entry.attempt), value };
  }
  const value = attemptValue(entry.atMs, entry.clientId, end);
  return { type: 'put', sublevel: d.deliveries, key: deliveryKey(topic, queueId, entry.offset, group, entry.attempt), value };
}

/** The history record of an attempt a redelivery or an offset reset replaces, if it needs one (in that batch). */
export function attemptOverOp(d: LevelDb, topic: string, queueId: number, group: string, entry: StoredInflight): Op | undefined {
  if (entry.attempt === 0 || entry.atMs === undefined) return undefined; // never handed out, or recorded at its delivery
  return { type: 'put', sublevel: d.deliveries, key: deliveryKey(topic, queueId, entry.offset, group, entry.attempt), value: attemptValue(entry.atMs, entry.clientId) };
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
      const { deliveredAtMs, clientId, outcome, atMs } = readAttemptValue(value);
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
