// Owns the LevelDB implementation of BrokerStore: one database, one sublevel per partition
// (meta, committed log, half-message metadata, half-message bodies, check due-time index,
// transaction decisions, consumer state, scheduled DELAY messages). Every transition is one
// batch handed to the group-commit writer; consumer cursors/in-flight deliveries and queue
// heads are cached in memory (authoritative copies are written in the same batch).
import type { AbstractBatchOperation, AbstractSublevel } from 'abstract-level';
import { Level } from 'level';
import { BrokerError, Code } from '../../errors.js';
import type { Clock } from '../../util/clock.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import type {
  BrokerStore,
  ClaimChecksRequest,
  ClaimChecksResult,
  DecisionFilter,
  StoreCapabilities,
  TransactionFilter,
} from '../broker-store.js';
import { GroupCommitWriter } from './group-commit.js';
import {
  checkDueKey,
  cursorKey,
  inflightKey,
  purgedKey,
  logKey,
  logRange,
  parseU64,
  prefixRange,
  scheduledKey,
  split,
  u64,
  join,
} from './keys.js';
import { decodeReceiptHandle, encodeReceiptHandle, newDeliveryToken } from '../receipt-handle.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import { backoffDelayMs, type RetryBackoff } from '../../domain/backoff.js';
import type { AckResult, AutoRenewedDelivery, Delivery, ReceiveRequest, ReceiveResult } from '../../domain/consumption.js';
import { applyGroupChange, type GroupChange, type GroupRecord, type GroupSettings, type GroupTopicStats, type OffsetResetResult, type OffsetResetTarget } from '../../domain/groups.js';
import type { MessageInput, StoredMessage } from '../../domain/messages.js';
import { deadLetterTopic } from '../../domain/names.js';
import { matchesFilter } from '../../domain/tag-filter.js';
import type { PurgeLimits, PurgeResult, QueueStats, TopicRecord } from '../../domain/topics.js';
import {
  budgetExhausted,
  chooseCheckTarget,
  claimCheck,
  decide,
  rearm,
  releaseCheck,
  repeatOf,
  type DecisionSource,
  type EndTransactionResult,
  type HalfMessage,
  type NewHalf,
  type Resolution,
  type TransactionCounters,
  type TransactionDecision,
} from '../../domain/transactions.js';
import { InProcessEventBus, type EventBus } from '../../runtime/event-bus.js';

export interface LevelStoreOptions {
  /** Directory of the LevelDB database. */
  path: string;
  clock: Clock;
  /** fsync every batch (default true). */
  durable?: boolean;
  /** Log entries a single receive may examine (bounds the work of one call). */
  maxScanPerReceive?: number;
  /** Where appends are announced (default: a bus of its own). */
  events?: EventBus;
}

/** The storage format this version writes and reads; older data directories are migrated on open. */
export const STORAGE_FORMAT_VERSION = 2;

type Sub = AbstractSublevel<Level<string, Buffer>, string | Buffer | Uint8Array, string, Buffer>;
type LevelBatch = AbstractBatchOperation<Level<string, Buffer>, string, Buffer>[];
interface Op {
  type: 'put' | 'del';
  sublevel: Sub;
  key: string;
  value?: Buffer;
}

/** Half-message metadata: everything but the body (kept apart, written once); rewritten on each check. */
type HalfMeta = Omit<HalfMessage, 'message'> & { topic: string; messageId: string; keys?: string[] };

/** The HalfMessage fields of a HalfMeta (without what the message itself carries). */
function halfFields(meta: HalfMeta): Omit<HalfMessage, 'message'> {
  const { topic: _t, messageId: _m, keys: _k, ...rest } = meta;
  return rest;
}

/** attempt 0 = FIFO: examined, waiting behind the head of its message group. */
interface InflightEntry {
  offset: number;
  attempt: number;
  visibleAtMs: number;
  token: string;
  messageGroup?: string;
  /** Auto-renewed (push consumer) delivery: the client it went to, when, and the broker renewing it (absent in format 1: any). */
  renew?: { clientId: string; sinceMs: number; brokerId?: string };
}

interface ConsumerState {
  topic: string;
  group: string;
  queueId: number;
  cursor: number;
  inflight: Map<number, InflightEntry>;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');
const parse = <T>(b: Buffer): T => JSON.parse(b.toString('utf8')) as T;
const tryParse = <T>(b: Buffer): T | undefined => {
  try {
    return parse<T>(b);
  } catch {
    return undefined;
  }
};
const MAX_WAITING_PER_CONSUMER = 10_000;
/** Keys deleted per write when a topic is deleted. */
const DELETE_BATCH = 5_000;

export class LevelStore implements BrokerStore {
  readonly capabilities: StoreCapabilities = { sharedAcrossProcesses: false, persistent: true };
  readonly events: EventBus;
  private readonly db: Level<string, Buffer>;
  private readonly meta: Sub;
  private readonly log: Sub;
  private readonly halfMeta: Sub;
  private readonly halfBody: Sub;
  private readonly checkDue: Sub;
  private readonly decisions: Sub;
  private readonly consumer: Sub;
  private readonly scheduled: Sub;
  private readonly writer: GroupCommitWriter<Op>;
  private readonly mutex = new KeyedMutex();
  /** Leases by name (one process owns a LevelDB store, so they live in memory). */
  private readonly leases = new Map<string, { holder: string; untilMs: number }>();
  private readonly clock: Clock;
  private readonly maxScan: number;
  /** Next offset per `topic\0queueId`. */
  private readonly heads = new Map<string, number>();
  /**
   * Stored bytes per `topic\0queueId`, for size-based retention: counted by one scan the first
   * time retention asks, then kept up to date by appends and purges (approximate by design).
   */
  private readonly queueBytes = new Map<string, number>();
  private readonly consumers = new Map<string, ConsumerState>();
  /** Consumer states being loaded, so concurrent first uses share one load (and one object). */
  private readonly consumerLoads = new Map<string, Promise<ConsumerState>>();
  private readonly pendingByGroup = new Map<string, number>();
  private counters: TransactionCounters = {
    pending: 0,
    abandoned: 0,
    committed: 0,
    rolledBack: 0,
    checksSent: 0,
    checksAnswered: 0,
  };
  private scheduleSeq = 0;
  private opened = false;
  private closed = false;

  constructor(private readonly options: LevelStoreOptions) {
    this.clock = options.clock;
    this.maxScan = options.maxScanPerReceive ?? 1024;
    this.events = options.events ?? new InProcessEventBus();
    this.db = new Level<string, Buffer>(options.path, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    const sub = (name: string): Sub => this.db.sublevel<string, Buffer>(name, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    this.meta = sub('meta');
    this.log = sub('log');
    this.halfMeta = sub('half');
    this.halfBody = sub('halfbody');
    this.checkDue = sub('checkdue');
    this.decisions = sub('txdecision');
    this.consumer = sub('consumer');
    this.scheduled = sub('scheduled');
    const sync = options.durable ?? true;
    this.writer = new GroupCommitWriter<Op>({
      writeBatch: async (ops) => {
        await this.db.batch(ops as unknown as LevelBatch, { sync });
      },
    });
  }

  /** Batches and transitions written so far (group-commit efficiency). */
  get writeStats(): { batches: number; transitions: number } {
    return { batches: this.writer.batches, transitions: this.writer.transitions };
  }

  async open(): Promise<void> {
    if (this.opened) return;
    try {
      await this.db.open();
    } catch (cause) {
      throw new BrokerError(
        Code.INTERNAL_ERROR,
        `cannot open the LevelDB store at ${this.options.path}: ${(cause as Error).message} (is another broker using this data directory?)`,
        { cause },
      );
    }
    await this.checkFormat();
    const counters = await this.meta.get('counters');
    if (counters) this.counters = { ...this.counters, ...parse<TransactionCounters>(counters) };
    const seq = await this.meta.get('scheduleSeq');
    this.scheduleSeq = seq ? Number(seq.toString('utf8')) : 0;
    this.counters.pending = 0;
    this.counters.abandoned = 0;
    for await (const value of this.halfMeta.values()) {
      const h = tryParse<HalfMeta>(value);
      if (!h) continue; // unreadable: quarantined when its check comes due, never counted
      if (h.state === 'PENDING') {
        this.counters.pending++;
        this.pendingByGroup.set(h.producerGroup, (this.pendingByGroup.get(h.producerGroup) ?? 0) + 1);
      } else this.counters.abandoned++;
    }
    this.opened = true;
  }

  /**
   * Refuses a data directory written by a newer Halfmoon, and migrates an older one: format 1
   * (no version recorded) kept the MQ HTTP age budget as a client-id prefix `http:`.
   */
  private async checkFormat(): Promise<void> {
    const recorded = await this.meta.get('formatVersion');
    const version = recorded ? Number(recorded.toString('utf8')) : undefined;
    if (version === STORAGE_FORMAT_VERSION) return;
    if (version !== undefined && !(Number.isInteger(version) && version >= 1 && version < STORAGE_FORMAT_VERSION)) {
      await this.db.close();
      throw new BrokerError(
        Code.INTERNAL_ERROR,
        `the data directory ${this.options.path} has storage format ${recorded!.toString('utf8')}, but this Halfmoon reads formats up to ${STORAGE_FORMAT_VERSION}: upgrade Halfmoon, or start it with another --data directory`,
      );
    }
    const ops: Op[] = [];
    for await (const [key, value] of this.halfMeta.iterator()) {
      const meta = tryParse<HalfMeta & { budget?: HalfMeta['budget'] }>(value);
      if (!meta || meta.budget) continue;
      ops.push({ type: 'put', sublevel: this.halfMeta, key, value: json({ ...meta, budget: meta.senderClientId.startsWith('http:') ? 'age' : 'checks' }) });
    }
    ops.push({ type: 'put', sublevel: this.meta, key: 'formatVersion', value: Buffer.from(String(STORAGE_FORMAT_VERSION)) });
    await this.write(ops);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.flushed();
    await this.db.close();
  }

  // ---------------------------------------------------------------------------------------
  // internal helpers

  private async write(ops: Op[]): Promise<void> {
    if (this.closed) throw new BrokerError(Code.INTERNAL_ERROR, 'store is closed');
    try {
      await this.writer.write(ops);
    } catch (cause) {
      throw new BrokerError(Code.INTERNAL_ERROR, `store write failed: ${(cause as Error).message}`, { cause });
    }
  }

  private counterOp(): Op {
    const { committed, rolledBack, checksSent, checksAnswered } = this.counters;
    return { type: 'put', sublevel: this.meta, key: 'counters', value: json({ committed, rolledBack, checksSent, checksAnswered }) };
  }

  private async head(topic: string, queueId: number): Promise<number> {
    const key = join(topic, u64(queueId));
    const cached = this.heads.get(key);
    if (cached !== undefined) return cached;
    return this.mutex.run(`head\x00${key}`, async () => {
      const again = this.heads.get(key);
      if (again !== undefined) return again;
      let next = 0;
      for await (const k of this.log.keys({ ...logRange(topic, queueId), reverse: true, limit: 1 })) {
        next = parseU64(split(k)[2]!) + 1;
      }
      // A queue emptied by retention keeps counting from where it was (offsets are never reused).
      next = Math.max(next, (await this.purgedMark(topic, queueId)) ?? 0);
      this.heads.set(key, next);
      return next;
    });
  }

  /** First offset retention has kept, when the queue was ever purged. */
  private async purgedMark(topic: string, queueId: number): Promise<number | undefined> {
    const value = await this.meta.get(purgedKey(topic, queueId));
    return value ? Number(value.toString('utf8')) : undefined;
  }

  /** The first retained offset; for an empty queue where the next message will go. */
  private async firstOffset(topic: string, queueId: number): Promise<number> {
    for await (const k of this.log.keys({ ...logRange(topic, queueId), limit: 1 })) return parseU64(split(k)[2]!);
    return this.head(topic, queueId);
  }

  /**
   * Assigns offsets from the cached queue head (load it first with `await this.head(...)`) and
   * returns the log puts. Synchronous on purpose: the caller must hand the ops to write() in the
   * same synchronous section, so that no other append can take the same offsets and offsets
   * enter the group-commit queue in order (a reader never sees offset n+1 before n).
   */
  private assignOffsets(
    topic: string,
    queueId: number,
    inputs: (MessageInput & Partial<Pick<StoredMessage, 'transactionId' | 'deadLetter'>>)[],
  ): { ops: Op[]; stored: StoredMessage[] } {
    let next = this.heads.get(join(topic, u64(queueId)));
    if (next === undefined) throw new BrokerError(Code.INTERNAL_ERROR, `queue head of ${topic}/${queueId} is not loaded`);
    const now = this.clock.now();
    const ops: Op[] = [];
    const stored: StoredMessage[] = [];
    let bytes = 0;
    for (const input of inputs) {
      const message: StoredMessage = { ...input, topic, queueId, offset: next++, storeTimestampMs: now };
      const value = encodeRecord(message);
      bytes += value.length;
      ops.push({ type: 'put', sublevel: this.log, key: logKey(topic, queueId, message.offset), value });
      stored.push(message);
    }
    this.heads.set(join(topic, u64(queueId)), next);
    const counted = this.queueBytes.get(join(topic, u64(queueId)));
    if (counted !== undefined) this.queueBytes.set(join(topic, u64(queueId)), counted + bytes);
    return { ops, stored };
  }

  private notify(topics: Iterable<string>): void {
    for (const t of new Set(topics)) this.events.emit('appended', t);
  }

  private async readMessage(topic: string, queueId: number, offset: number): Promise<StoredMessage | undefined> {
    const value = await this.log.get(logKey(topic, queueId, offset));
    return value ? decodeRecord<StoredMessage>(value) : undefined;
  }

  private async ensureDeadLetterTopic(group: string, ops: Op[]): Promise<string> {
    const name = deadLetterTopic(group);
    if (!(await this.getTopic(name))) {
      const record: TopicRecord = { name, messageType: 'NORMAL', queueCount: 1, createdAtMs: this.clock.now() };
      ops.push({ type: 'put', sublevel: this.meta, key: join('topic', name), value: json(record) });
    }
    return name;
  }

  // ---------------------------------------------------------------------------------------
  // topics and groups

  async createTopic(topic: Omit<TopicRecord, 'createdAtMs'>): Promise<{ topic: TopicRecord; created: boolean }> {
    return this.mutex.run(`topic\x00${topic.name}`, async () => {
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
      const record: TopicRecord = { ...topic, createdAtMs: this.clock.now() };
      await this.write([{ type: 'put', sublevel: this.meta, key: join('topic', topic.name), value: json(record) }]);
      return { topic: record, created: true };
    });
  }

  async getTopic(name: string): Promise<TopicRecord | undefined> {
    const value = await this.meta.get(join('topic', name));
    return value ? parse<TopicRecord>(value) : undefined;
  }

  async listTopics(): Promise<TopicRecord[]> {
    const out: TopicRecord[] = [];
    for await (const value of this.meta.values(prefixRange('topic'))) out.push(parse<TopicRecord>(value));
    return out;
  }

  async deleteTopic(name: string): Promise<boolean> {
    return this.mutex.run(`topic\x00${name}`, async () => {
      const existing = await this.getTopic(name);
      if (!existing) return false;
      await this.write([{ type: 'del', sublevel: this.meta, key: join('topic', name) }]);
      // Through the group-commit writer, after whatever was queued for the topic before.
      await this.deleteRange(this.log, prefixRange(name));
      await this.deleteRange(this.consumer, prefixRange('c', name));
      await this.deleteRange(this.consumer, prefixRange('i', name));
      await this.deleteRange(this.meta, prefixRange('purged', name));
      // The log is empty now; heads stay cached (at 0) so appends never find them unloaded.
      for (const key of [...this.heads.keys()]) if (split(key)[0] === name) this.heads.set(key, 0);
      for (const key of [...this.queueBytes.keys()]) if (split(key)[0] === name) this.queueBytes.delete(key);
      for (const [key, state] of [...this.consumers]) if (state.topic === name) this.consumers.delete(key);
      return true;
    });
  }

  /** Deletes every key of a range through the writer, in bounded batches. */
  private async deleteRange(sublevel: Sub, range: { gte: string; lt: string }): Promise<void> {
    await this.writer.flushed();
    let ops: Op[] = [];
    for await (const key of sublevel.keys(range)) {
      ops.push({ type: 'del', sublevel, key });
      if (ops.length >= DELETE_BATCH) {
        await this.write(ops);
        ops = [];
      }
    }
    if (ops.length > 0) await this.write(ops);
  }

  async queueStats(topic: string): Promise<QueueStats[]> {
    const record = await this.getTopic(topic);
    if (!record) return [];
    const out: QueueStats[] = [];
    for (let queueId = 0; queueId < record.queueCount; queueId++) {
      const maxOffset = await this.head(topic, queueId);
      let minOffset = maxOffset;
      for await (const k of this.log.keys({ ...logRange(topic, queueId), limit: 1 })) minOffset = parseU64(split(k)[2]!);
      out.push({ topic, queueId, minOffset, maxOffset });
    }
    return out;
  }

  async updateGroup(name: string, change: GroupChange): Promise<GroupRecord | undefined> {
    return this.mutex.run(`group\x00${name}`, async () => {
      const existing = await this.getGroup(name);
      if (!existing) return undefined;
      const record = applyGroupChange(existing, change);
      await this.write([{ type: 'put', sublevel: this.meta, key: join('group', name), value: json(record) }]);
      return record;
    });
  }

  async createGroup(group: GroupSettings): Promise<{ group: GroupRecord; created: boolean }> {
    return this.mutex.run(`group\x00${group.name}`, async () => {
      const existing = await this.getGroup(group.name);
      if (existing) return { group: existing, created: false };
      const record: GroupRecord = { ...group, createdAtMs: this.clock.now() };
      await this.write([{ type: 'put', sublevel: this.meta, key: join('group', group.name), value: json(record) }]);
      return { group: record, created: true };
    });
  }

  async getGroup(name: string): Promise<GroupRecord | undefined> {
    const value = await this.meta.get(join('group', name));
    return value ? parse<GroupRecord>(value) : undefined;
  }

  async listGroups(): Promise<GroupRecord[]> {
    const out: GroupRecord[] = [];
    for await (const value of this.meta.values(prefixRange('group'))) out.push(parse<GroupRecord>(value));
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // sending

  async append(topic: string, queueId: number, messages: MessageInput[]): Promise<StoredMessage[]> {
    if (messages.length === 0) return [];
    await this.head(topic, queueId);
    const { ops, stored } = this.assignOffsets(topic, queueId, messages);
    await this.write(ops);
    this.notify([topic]);
    return stored;
  }

  async schedule(topic: string, queueId: number, messages: MessageInput[]): Promise<number[]> {
    const ops: Op[] = [];
    const seqs: number[] = [];
    for (const m of messages) {
      const seq = this.scheduleSeq++;
      const deliverAt = m.deliveryTimestampMs ?? this.clock.now();
      ops.push({
        type: 'put',
        sublevel: this.scheduled,
        key: scheduledKey(deliverAt, seq),
        value: encodeRecord({ ...m, topic, queueId }),
      });
      seqs.push(seq);
    }
    ops.push({ type: 'put', sublevel: this.meta, key: 'scheduleSeq', value: Buffer.from(String(this.scheduleSeq)) });
    await this.write(ops);
    return seqs;
  }

  async promoteDueScheduled(limit: number): Promise<number> {
    return this.mutex.run('scheduled', async () => {
      const now = this.clock.now();
      const due: { key: string; message: MessageInput & { queueId: number } }[] = [];
      for await (const [key, value] of this.scheduled.iterator({ lt: u64(now + 1), limit })) {
        due.push({ key, message: decodeRecord<MessageInput & { queueId: number }>(value) });
      }
      if (due.length === 0) return 0;
      const ops: Op[] = [];
      const topics: string[] = [];
      const appends: { queueId: number; input: MessageInput }[] = [];
      for (const { key, message } of due) {
        ops.push({ type: 'del', sublevel: this.scheduled, key });
        if (!(await this.getTopic(message.topic))) continue; // topic deleted meanwhile: the message goes with it
        const { queueId, ...input } = message;
        await this.head(message.topic, queueId);
        appends.push({ queueId, input });
        topics.push(message.topic);
      }
      // Synchronous from offset assignment to write().
      for (const { queueId, input } of appends) ops.push(...this.assignOffsets(input.topic, queueId, [input]).ops);
      await this.write(ops);
      this.notify(topics);
      return due.length;
    });
  }

  async nextScheduledInMs(): Promise<number | undefined> {
    for await (const key of this.scheduled.keys({ limit: 1 })) return Math.max(0, parseU64(split(key)[0]!) - this.clock.now());
    return undefined;
  }

  // ---------------------------------------------------------------------------------------
  // transactions

  private async readHalfMeta(transactionId: string): Promise<HalfMeta | undefined> {
    const value = await this.halfMeta.get(transactionId);
    return value ? parse<HalfMeta>(value) : undefined;
  }

  private async withBody(meta: HalfMeta): Promise<HalfMessage | undefined> {
    const body = await this.halfBody.get(meta.transactionId);
    if (!body) return undefined;
    return { ...halfFields(meta), message: decodeRecord<MessageInput>(body) };
  }

  /** The transaction with its message; an empty body when that is missing or unreadable (quarantined). */
  private async operatorView(meta: HalfMeta): Promise<HalfMessage> {
    const half = await this.withBody(meta).catch(() => undefined);
    if (half) return half;
    const { topic, messageId } = meta;
    const message: MessageInput = { topic, messageId, messageType: 'TRANSACTION', body: Buffer.alloc(0), keys: meta.keys ?? [], userProperties: {}, bornTimestampMs: meta.receivedAtMs, bornHost: '' };
    return { ...halfFields(meta), message };
  }

  private adjustPending(group: string, delta: number): void {
    const n = (this.pendingByGroup.get(group) ?? 0) + delta;
    if (n <= 0) this.pendingByGroup.delete(group);
    else this.pendingByGroup.set(group, n);
    this.counters.pending += delta;
  }

  async putHalf(half: NewHalf, firstCheckInMs: number): Promise<void> {
    await this.mutex.run(`tx\x00${half.transactionId}`, async () => {
      if ((await this.halfMeta.get(half.transactionId)) || (await this.decisions.get(half.transactionId))) {
        return; // the same transaction sent again (a retried request): already stored
      }
      const now = this.clock.now();
      const meta: HalfMeta = {
        transactionId: half.transactionId,
        producerGroup: half.producerGroup,
        senderClientId: half.senderClientId,
        receivedAtMs: now,
        nextCheckAtMs: now + firstCheckInMs,
        state: 'PENDING',
        budget: half.budget,
        checkCount: 0,
        topic: half.message.topic,
        messageId: half.message.messageId,
      };
      if (half.message.keys.length > 0) meta.keys = half.message.keys;
      await this.write([
        { type: 'put', sublevel: this.halfBody, key: half.transactionId, value: encodeRecord(half.message) },
        { type: 'put', sublevel: this.halfMeta, key: half.transactionId, value: json(meta) },
        { type: 'put', sublevel: this.checkDue, key: checkDueKey(meta.producerGroup, meta.nextCheckAtMs, meta.transactionId), value: Buffer.alloc(0) },
      ]);
      this.adjustPending(meta.producerGroup, 1);
    });
    this.events.emit('halfPublished', half.message.topic);
  }

  async getHalf(transactionId: string): Promise<HalfMessage | undefined> {
    const meta = await this.readHalfMeta(transactionId);
    return meta ? this.operatorView(meta) : undefined;
  }

  async getDecision(transactionId: string): Promise<TransactionDecision | undefined> {
    const value = await this.decisions.get(transactionId);
    return value ? parse<TransactionDecision>(value) : undefined;
  }

  async endTransaction(
    transactionId: string,
    resolution: Resolution,
    source: DecisionSource,
    expect?: { topic?: string; messageId?: string },
    reason?: string,
  ): Promise<EndTransactionResult> {
    if (source === 'SERVER_CHECK') this.counters.checksAnswered++; // written with the next batch
    return this.mutex.run(`tx\x00${transactionId}`, async () => {
      const meta = await this.readHalfMeta(transactionId);
      if (!meta) {
        const decision = await this.getDecision(transactionId);
        if (!decision) return { kind: 'unknown' };
        return { kind: repeatOf(decision, resolution), decision };
      }
      if ((expect?.topic && expect.topic !== meta.topic) || (expect?.messageId && expect.messageId !== meta.messageId)) {
        return { kind: 'mismatch', expected: { topic: meta.topic, messageId: meta.messageId } };
      }
      const decision = decide(meta, resolution, source, this.clock.now(), reason);
      const ops: Op[] = [
        { type: 'del', sublevel: this.halfMeta, key: transactionId },
        { type: 'del', sublevel: this.halfBody, key: transactionId },
      ];
      if (meta.state === 'PENDING') {
        ops.push({ type: 'del', sublevel: this.checkDue, key: checkDueKey(meta.producerGroup, meta.nextCheckAtMs, transactionId) });
      }
      let topics: string[] = [];
      let committed: MessageInput | undefined;
      if (resolution === 'COMMIT') {
        const body = await this.halfBody.get(transactionId);
        if (!body) throw new BrokerError(Code.INTERNAL_ERROR, `half message body of transaction ${transactionId} is missing: it can only be rolled back`);
        try {
          committed = decodeRecord<MessageInput>(body);
        } catch (cause) {
          throw new BrokerError(Code.INTERNAL_ERROR, `half message body of transaction ${transactionId} is unreadable: it can only be rolled back`, { cause });
        }
        if (!(await this.getTopic(meta.topic))) {
          throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${meta.topic} was deleted; the transaction can only be rolled back`);
        }
        await this.head(meta.topic, 0);
      }
      // Synchronous from here to write(): offsets enter the write queue in order.
      if (committed) {
        const prepared = this.assignOffsets(meta.topic, 0, [{ ...committed, transactionId }]);
        ops.push(...prepared.ops);
        decision.offset = prepared.stored[0]!.offset;
        topics = [meta.topic];
      }
      if (meta.state === 'PENDING') this.adjustPending(meta.producerGroup, -1);
      else this.counters.abandoned--;
      if (resolution === 'COMMIT') this.counters.committed++;
      else this.counters.rolledBack++;
      ops.push({ type: 'put', sublevel: this.decisions, key: transactionId, value: json(decision) });
      ops.push(this.counterOp());
      await this.write(ops);
      this.notify(topics);
      return { kind: 'applied', decision };
    });
  }

  async claimDueChecks(req: ClaimChecksRequest): Promise<ClaimChecksResult> {
    const now = this.clock.now();
    const range = prefixRange(req.producerGroup);
    const dueKeys: string[] = [];
    for await (const key of this.checkDue.keys({ gte: range.gte, lt: join(req.producerGroup, u64(now + 1)), limit: req.limit })) {
      dueKeys.push(key);
    }
    // Each transaction is claimed under its own lock, all concurrently, so their writes share
    // group commits; the results keep the index order. A record that cannot be read is
    // quarantined on its own: one poison record never stalls the others nor is retried forever.
    const byId = new Map(dueKeys.map((key) => [split(key)[2]!, key]));
    type Outcome =
      | { kind: 'claimed'; half: HalfMessage }
      | { kind: 'exhausted'; half: HalfMessage; reason: string }
      | { kind: 'quarantined'; transactionId: string; reason: string };
    const outcomes = await Promise.all(
      [...byId].map(([transactionId, scannedKey]) =>
        this.mutex.run(`tx\x00${transactionId}`, async (): Promise<Outcome | undefined> => {
          let meta: HalfMeta | undefined;
          try {
            meta = await this.readHalfMeta(transactionId);
          } catch (err) {
            return this.quarantine(transactionId, scannedKey, undefined, `its record is unreadable: ${(err as Error).message}`);
          }
          if (!meta || meta.state !== 'PENDING') {
            // A dangling index entry (no pending transaction behind it): drop it.
            if ((await this.checkDue.get(scannedKey)) !== undefined) await this.write([{ type: 'del', sublevel: this.checkDue, key: scannedKey }]);
            return undefined;
          }
          if (meta.nextCheckAtMs > now) return undefined;
          // The index entry as it is now: the scan ran before the lock, and a concurrent
          // releaseCheck may have moved the transaction to another (still due) time.
          const key = checkDueKey(meta.producerGroup, meta.nextCheckAtMs, transactionId);
          let half: HalfMessage | undefined;
          try {
            half = await this.withBody(meta);
          } catch (err) {
            return this.quarantine(transactionId, key, meta, `its message body is unreadable: ${(err as Error).message}`);
          }
          if (!half) return this.quarantine(transactionId, key, meta, 'its message body is missing');
          const reason = budgetExhausted(meta, now, req.budget);
          if (reason !== undefined) return { kind: 'exhausted', half, reason };
          const clientId = chooseCheckTarget(meta, req.targets);
          if (clientId === undefined) return undefined;
          const updated = claimCheck(meta, now, clientId, req.nextCheckInMs);
          this.counters.checksSent++;
          await this.write([
            { type: 'del', sublevel: this.checkDue, key },
            { type: 'put', sublevel: this.checkDue, key: checkDueKey(meta.producerGroup, updated.nextCheckAtMs, transactionId), value: Buffer.alloc(0) },
            { type: 'put', sublevel: this.halfMeta, key: transactionId, value: json(updated) },
            this.counterOp(),
          ]);
          return { kind: 'claimed', half: { ...halfFields(updated), message: half.message } };
        }),
      ),
    );
    const result: ClaimChecksResult = { claimed: [], exhausted: [], quarantined: [] };
    for (const o of outcomes) {
      if (o?.kind === 'quarantined') result.quarantined.push({ transactionId: o.transactionId, reason: o.reason });
      else if (o?.kind === 'exhausted') result.exhausted.push({ half: o.half, reason: o.reason });
      else if (o) result.claimed.push(o.half);
    }
    return result;
  }

  /**
   * Takes a poison transaction out of the check index. When its metadata is readable it becomes
   * ABANDONED with the reason (listed by `tx list --state ABANDONED`, resolvable by hand: a
   * rollback needs no body); an unreadable record only loses its index entry. Caller holds the lock.
   */
  private async quarantine(transactionId: string, indexKey: string, meta: HalfMeta | undefined, reason: string) {
    const ops: Op[] = [{ type: 'del', sublevel: this.checkDue, key: indexKey }];
    if (meta) {
      ops.push({ type: 'put', sublevel: this.halfMeta, key: transactionId, value: json({ ...meta, state: 'ABANDONED', abandonReason: `quarantined: ${reason}` }) });
      this.adjustPending(meta.producerGroup, -1);
      this.counters.abandoned++;
    }
    await this.write(ops);
    return { kind: 'quarantined' as const, transactionId, reason };
  }

  async releaseCheck(transactionId: string): Promise<void> {
    await this.mutex.run(`tx\x00${transactionId}`, async () => {
      const meta = await this.readHalfMeta(transactionId);
      if (!meta || meta.state !== 'PENDING') return;
      // The claimed check never reached anyone: it leaves the count and the trail.
      const updated = releaseCheck(meta, this.clock.now());
      const dueAtMs = updated.nextCheckAtMs;
      this.counters.checksSent = Math.max(0, this.counters.checksSent - 1);
      await this.write([
        { type: 'del', sublevel: this.checkDue, key: checkDueKey(meta.producerGroup, meta.nextCheckAtMs, transactionId) },
        { type: 'put', sublevel: this.checkDue, key: checkDueKey(meta.producerGroup, dueAtMs, transactionId), value: Buffer.alloc(0) },
        { type: 'put', sublevel: this.halfMeta, key: transactionId, value: json(updated) },
        this.counterOp(),
      ]);
    });
  }

  async abandonTransaction(transactionId: string, reason: string): Promise<boolean> {
    return this.mutex.run(`tx\x00${transactionId}`, async () => {
      const meta = await this.readHalfMeta(transactionId);
      if (!meta || meta.state !== 'PENDING') return false;
      const updated: HalfMeta = { ...meta, state: 'ABANDONED', abandonReason: reason };
      await this.write([
        { type: 'del', sublevel: this.checkDue, key: checkDueKey(meta.producerGroup, meta.nextCheckAtMs, transactionId) },
        { type: 'put', sublevel: this.halfMeta, key: transactionId, value: json(updated) },
      ]);
      this.adjustPending(meta.producerGroup, -1);
      this.counters.abandoned++;
      return true;
    });
  }

  async rearmTransaction(transactionId: string, dueInMs: number): Promise<boolean> {
    return this.mutex.run(`tx\x00${transactionId}`, async () => {
      const meta = await this.readHalfMeta(transactionId);
      if (!meta || meta.state !== 'ABANDONED') return false;
      const dueAtMs = this.clock.now() + dueInMs;
      const updated = rearm(meta, dueAtMs);
      await this.write([
        { type: 'put', sublevel: this.checkDue, key: checkDueKey(meta.producerGroup, dueAtMs, transactionId), value: Buffer.alloc(0) },
        { type: 'put', sublevel: this.halfMeta, key: transactionId, value: json(updated) },
      ]);
      this.adjustPending(meta.producerGroup, 1);
      this.counters.abandoned--;
      return true;
    });
  }

  async nextCheckDueInMs(producerGroup: string): Promise<number | undefined> {
    for await (const key of this.checkDue.keys({ ...prefixRange(producerGroup), limit: 1 })) return Math.max(0, parseU64(split(key)[1]!) - this.clock.now());
    return undefined;
  }

  async pendingProducerGroups(): Promise<string[]> {
    return [...this.pendingByGroup.keys()];
  }

  async pendingTransactionCount(producerGroup: string): Promise<number> {
    return this.pendingByGroup.get(producerGroup) ?? 0;
  }

  async listTransactions(filter: TransactionFilter): Promise<HalfMessage[]> {
    const out: HalfMessage[] = [];
    const limit = filter.limit ?? 1000;
    for await (const value of this.halfMeta.values()) {
      const meta = tryParse<HalfMeta>(value);
      if (!meta) continue;
      if (filter.topic && meta.topic !== filter.topic) continue;
      if (filter.state && meta.state !== filter.state) continue;
      const half = await this.operatorView(meta);
      if (filter.key !== undefined && !half.message.keys.includes(filter.key)) continue;
      out.push(half);
      if (out.length >= limit) break;
    }
    return out;
  }

  async findDecisions(filter: DecisionFilter): Promise<TransactionDecision[]> {
    const out: TransactionDecision[] = [];
    for await (const value of this.decisions.values()) {
      const d = tryParse<TransactionDecision>(value);
      if (!d?.keys?.includes(filter.key)) continue;
      if ((filter.state && d.state !== filter.state) || (filter.topic && d.topic !== filter.topic)) continue;
      out.push(d);
    }
    return out.sort((a, b) => b.decidedAtMs - a.decidedAtMs).slice(0, filter.limit);
  }

  async purgeDecisions(olderThanMs: number, limit: number): Promise<{ deleted: number; more: boolean }> {
    const before = this.clock.now() - olderThanMs;
    const ops: Op[] = [];
    for await (const [key, value] of this.decisions.iterator()) {
      const d = tryParse<TransactionDecision>(value);
      if (d && d.decidedAtMs > before) continue;
      if (ops.length >= limit) break;
      ops.push({ type: 'del', sublevel: this.decisions, key });
    }
    if (ops.length > 0) await this.write(ops);
    return { deleted: ops.length, more: ops.length >= limit };
  }

  async recordCheckAnswer(_transactionId: string): Promise<void> {
    this.counters.checksAnswered++; // written with the next batch
  }

  async transactionCounters(): Promise<TransactionCounters> {
    return { ...this.counters };
  }

  // ---------------------------------------------------------------------------------------
  // consumption

  private consumerKey(topic: string, group: string, queueId: number): string {
    return join(topic, group, u64(queueId));
  }

  private consumerState(topic: string, group: string, queueId: number): Promise<ConsumerState> {
    const key = this.consumerKey(topic, group, queueId);
    const cached = this.consumers.get(key);
    if (cached) return Promise.resolve(cached);
    let loading = this.consumerLoads.get(key);
    if (!loading) {
      loading = this.loadConsumerState(topic, group, queueId)
        .then((state) => {
          this.consumers.set(key, state);
          return state;
        })
        .finally(() => this.consumerLoads.delete(key));
      this.consumerLoads.set(key, loading);
    }
    return loading;
  }

  private async loadConsumerState(topic: string, group: string, queueId: number): Promise<ConsumerState> {
    const stored = await this.consumer.get(cursorKey(topic, group, queueId));
    let cursor: number;
    if (stored) cursor = Number(stored.toString('utf8'));
    else if ((await this.getGroup(group))?.startFrom === 'latest') {
      // Only messages sent from now on: the next offset (appends already queued keep theirs),
      // kept at once so that a restart before the first delivery does not move it past them.
      cursor = await this.head(topic, queueId);
      await this.write([{ type: 'put', sublevel: this.consumer, key: cursorKey(topic, group, queueId), value: Buffer.from(String(cursor)) }]);
    } else {
      // A new group starts at the beginning of the retained log. Not at the cached head when the
      // log looks empty: appends still in the group-commit queue already hold offsets below it,
      // and a group created meanwhile would skip them for good. Reading seeks to the first
      // existing offset anyway.
      cursor = (await this.purgedMark(topic, queueId)) ?? 0;
      for await (const k of this.log.keys({ ...logRange(topic, queueId), limit: 1 })) cursor = parseU64(split(k)[2]!);
    }
    const inflight = new Map<number, InflightEntry>();
    for await (const value of this.consumer.values(prefixRange('i', topic, group, u64(queueId)))) {
      const entry = parse<InflightEntry>(value);
      inflight.set(entry.offset, entry);
    }
    return { topic, group, queueId, cursor, inflight };
  }

  private inflightOp(state: ConsumerState, entry: InflightEntry): Op {
    return { type: 'put', sublevel: this.consumer, key: inflightKey(state.topic, state.group, state.queueId, entry.offset), value: json(entry) };
  }

  private inflightDel(state: ConsumerState, offset: number): Op {
    return { type: 'del', sublevel: this.consumer, key: inflightKey(state.topic, state.group, state.queueId, offset) };
  }

  private handleOf(state: ConsumerState, entry: InflightEntry): string {
    return encodeReceiptHandle({ topic: state.topic, queueId: state.queueId, offset: entry.offset, token: entry.token });
  }

  async receive(req: ReceiveRequest): Promise<ReceiveResult> {
    const queueId = 0;
    const lockKey = `consumer\x00${this.consumerKey(req.topic, req.group, queueId)}`;
    const { done, result, topics } = await this.mutex.run(lockKey, async () => {
      const state = await this.consumerState(req.topic, req.group, queueId);
      const now = this.clock.now();
      const ops: Op[] = [];
      const deliveries: Delivery[] = [];
      const deadLettered: StoredMessage[] = [];
      const busyGroups = new Set<string>();
      const fifoKey = (e: { offset: number; messageGroup?: string }): string => e.messageGroup ?? `#${e.offset}`;

      const deliver = (message: StoredMessage, entry: InflightEntry): void => {
        entry.attempt += 1;
        entry.token = newDeliveryToken();
        entry.visibleAtMs = now + req.invisibleDurationMs;
        if (req.autoRenew) entry.renew = { clientId: req.autoRenew.clientId, sinceMs: now, brokerId: req.autoRenew.brokerId };
        else delete entry.renew;
        state.inflight.set(entry.offset, entry);
        ops.push(this.inflightOp(state, entry));
        deliveries.push({ message, receiptHandle: this.handleOf(state, entry), deliveryAttempt: entry.attempt, invisibleUntilMs: entry.visibleAtMs });
      };

      // 1. Messages already handed out: expired ones are redelivered (FIFO: only group heads).
      const sorted = [...state.inflight.values()].sort((a, b) => a.offset - b.offset);
      const candidates: InflightEntry[] = [];
      if (req.fifo) {
        const seen = new Set<string>();
        for (const e of sorted) {
          const g = fifoKey(e);
          if (seen.has(g)) continue;
          seen.add(g);
          if (e.attempt === 0 || e.visibleAtMs <= now) candidates.push(e);
          busyGroups.add(g);
        }
      } else {
        for (const e of sorted) if (e.visibleAtMs <= now) candidates.push(e);
      }
      const dlqInputs: (MessageInput & { deadLetter: StoredMessage['deadLetter'] })[] = [];
      for (const entry of candidates) {
        if (deliveries.length >= req.maxMessages) break;
        const message = await this.readMessage(state.topic, queueId, entry.offset);
        if (!message) {
          state.inflight.delete(entry.offset); // removed by retention meanwhile
          ops.push(this.inflightDel(state, entry.offset));
          continue;
        }
        if (entry.attempt >= req.maxDeliveryAttempts) {
          state.inflight.delete(entry.offset);
          ops.push(this.inflightDel(state, entry.offset));
          dlqInputs.push(this.deadLetterInput(message, req.group));
          deadLettered.push(message);
          continue;
        }
        deliver(message, entry);
      }

      // 2. New messages from the group's offset.
      let scanLimited = false;
      if (deliveries.length < req.maxMessages) {
        const startCursor = state.cursor;
        let scanned = 0;
        let stopped = false;
        for await (const [, value] of this.log.iterator({ gte: logKey(req.topic, queueId, state.cursor), lt: logRange(req.topic, queueId).lt, limit: this.maxScan })) {
          const message = decodeRecord<StoredMessage>(value);
          scanned++;
          state.cursor = message.offset + 1;
          if (!matchesFilter(req.filter, message.tag)) continue;
          const entry: InflightEntry = { offset: message.offset, attempt: 0, visibleAtMs: 0, token: '' };
          if (message.messageGroup) entry.messageGroup = message.messageGroup;
          if (req.fifo) {
            const g = fifoKey(entry);
            if (busyGroups.has(g)) {
              state.inflight.set(entry.offset, entry);
              ops.push(this.inflightOp(state, entry));
              if (state.inflight.size >= MAX_WAITING_PER_CONSUMER) {
                stopped = true;
                break;
              }
              continue;
            }
            busyGroups.add(g);
          }
          deliver(message, entry);
          if (deliveries.length >= req.maxMessages) {
            stopped = true;
            break;
          }
        }
        // Every entry of the scan window was looked at: the log may go on beyond it.
        scanLimited = !stopped && scanned >= this.maxScan;
        if (scanned > 0 && state.cursor !== startCursor) {
          ops.push({ type: 'put', sublevel: this.consumer, key: cursorKey(req.topic, req.group, queueId), value: Buffer.from(String(state.cursor)) });
        }
      }

      const topics: string[] = [];
      if (dlqInputs.length > 0) {
        const dlq = await this.ensureDeadLetterTopic(req.group, ops);
        await this.head(dlq, 0);
        ops.push(...this.assignOffsets(dlq, 0, dlqInputs).ops); // synchronous from here to write()
        topics.push(dlq);
      }
      const done = ops.length > 0 ? this.write(ops) : Promise.resolve();
      const result: ReceiveResult = { deliveries, deadLettered };
      if (scanLimited) result.scanLimited = true;
      return { done, result, topics };
    });
    await done;
    this.notify(topics);
    return result;
  }

  private deadLetterInput(message: StoredMessage, group: string): MessageInput & { deadLetter: StoredMessage['deadLetter'] } {
    const { queueId: _q, offset: _o, storeTimestampMs: _s, transactionId: _t, deadLetter: _d, ...input } = message;
    return { ...input, topic: deadLetterTopic(group), deadLetter: { topic: message.topic, messageId: message.messageId, group } };
  }

  /** Runs fn on the current in-flight entry named by the handle, under the consumer lock. */
  private async withDelivery<T>(
    group: string,
    topic: string,
    receiptHandle: string,
    fn: (state: ConsumerState, entry: InflightEntry) => Promise<{ done: Promise<void>; value: T; topics?: string[] }>,
  ): Promise<T | 'stale'> {
    const parts = decodeReceiptHandle(receiptHandle);
    if (parts.topic !== topic) {
      throw new BrokerError(Code.INVALID_RECEIPT_HANDLE, `receipt handle belongs to topic ${parts.topic}, not ${topic}`);
    }
    const lockKey = `consumer\x00${this.consumerKey(topic, group, parts.queueId)}`;
    const outcome = await this.mutex.run(lockKey, async () => {
      const state = await this.consumerState(topic, group, parts.queueId);
      const entry = state.inflight.get(parts.offset);
      if (!entry || entry.attempt === 0 || entry.token !== parts.token) return 'stale' as const;
      return fn(state, entry);
    });
    if (outcome === 'stale') return 'stale';
    await outcome.done;
    if (outcome.topics) this.notify(outcome.topics);
    return outcome.value;
  }

  async ack(group: string, topic: string, receiptHandle: string): Promise<AckResult> {
    const result = await this.withDelivery(group, topic, receiptHandle, async (state, entry) => {
      state.inflight.delete(entry.offset);
      // FIFO: acking a group's head lets its next message through: wake waiting receivers.
      return { done: this.write([this.inflightDel(state, entry.offset)]), value: 'ok' as const, topics: entry.messageGroup ? [topic] : [] };
    });
    return result;
  }

  async changeInvisibleDuration(
    group: string,
    topic: string,
    receiptHandle: string,
    invisibleDurationMs: number,
    options: { autoRenewBackoff?: RetryBackoff } = {},
  ): Promise<{ receiptHandle: string; invisibleUntilMs: number } | 'stale'> {
    return this.withDelivery(group, topic, receiptHandle, async (state, entry) => {
      let duration = invisibleDurationMs;
      if (entry.renew && options.autoRenewBackoff) duration = Math.max(duration, backoffDelayMs(options.autoRenewBackoff, entry.attempt));
      delete entry.renew;
      entry.visibleAtMs = this.clock.now() + duration;
      // A new handle: the one it replaces goes stale, like a redelivery's predecessor.
      entry.token = newDeliveryToken();
      return {
        done: this.write([this.inflightOp(state, entry)]),
        value: { receiptHandle: this.handleOf(state, entry), invisibleUntilMs: entry.visibleAtMs },
      };
    });
  }

  async renewInvisibility(
    group: string,
    topic: string,
    receiptHandle: string,
    invisibleDurationMs: number,
  ): Promise<{ invisibleUntilMs: number } | 'stale'> {
    return this.withDelivery<{ invisibleUntilMs: number } | 'stale'>(group, topic, receiptHandle, async (state, entry) => {
      if (!entry.renew) return { done: Promise.resolve(), value: 'stale' };
      // Same token: the handle the client holds stays valid.
      entry.visibleAtMs = this.clock.now() + invisibleDurationMs;
      return { done: this.write([this.inflightOp(state, entry)]), value: { invisibleUntilMs: entry.visibleAtMs } };
    });
  }

  async listAutoRenewed(brokerId: string): Promise<AutoRenewedDelivery[]> {
    const out: AutoRenewedDelivery[] = [];
    const add = (topic: string, group: string, queueId: number, e: InflightEntry): void => {
      if (!e.renew || e.attempt === 0) return;
      if (e.renew.brokerId !== undefined && e.renew.brokerId !== brokerId) return;
      out.push({
        group,
        topic,
        receiptHandle: encodeReceiptHandle({ topic, queueId, offset: e.offset, token: e.token }),
        clientId: e.renew.clientId,
        brokerId,
        deliveryAttempt: e.attempt,
        invisibleUntilMs: e.visibleAtMs,
        sinceMs: e.renew.sinceMs,
      });
    };
    // Loaded consumer states are authoritative; the rest is read from disk.
    for await (const [key, value] of this.consumer.iterator(prefixRange('i'))) {
      const [, topic, group, queue] = split(key);
      const queueId = parseU64(queue!);
      if (this.consumers.has(this.consumerKey(topic!, group!, queueId))) continue;
      add(topic!, group!, queueId, parse<InflightEntry>(value));
    }
    for (const state of this.consumers.values()) for (const e of state.inflight.values()) add(state.topic, state.group, state.queueId, e);
    return out;
  }

  async resetOffset(group: string, topic: string, target: OffsetResetTarget): Promise<OffsetResetResult[]> {
    const record = await this.getTopic(topic);
    if (!record) throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${topic} does not exist`);
    const results: OffsetResetResult[] = [];
    for (let queueId = 0; queueId < record.queueCount; queueId++) {
      const lockKey = `consumer\x00${this.consumerKey(topic, group, queueId)}`;
      results.push(
        await this.mutex.run(lockKey, async () => {
          const state = await this.consumerState(topic, group, queueId);
          const newOffset = await this.offsetFor(topic, queueId, target);
          const ops: Op[] = [];
          for (const offset of state.inflight.keys()) ops.push(this.inflightDel(state, offset));
          ops.push({ type: 'put', sublevel: this.consumer, key: cursorKey(topic, group, queueId), value: Buffer.from(String(newOffset)) });
          const result: OffsetResetResult = { topic, queueId, previousOffset: state.cursor, newOffset, droppedInFlight: state.inflight.size };
          state.inflight.clear();
          state.cursor = newOffset;
          await this.write(ops);
          return result;
        }),
      );
    }
    this.notify([topic]); // long polls of the group look again
    return results;
  }

  /** The offset a reset target names (see OffsetResetTarget). */
  private async offsetFor(topic: string, queueId: number, target: OffsetResetTarget): Promise<number> {
    const head = await this.head(topic, queueId);
    // Not firstOffset(): for an empty queue that is the head, and appends still being written
    // hold offsets below it. Starting lower is harmless: reading seeks to the first existing offset.
    let first = (await this.purgedMark(topic, queueId)) ?? 0;
    for await (const k of this.log.keys({ ...logRange(topic, queueId), limit: 1 })) first = parseU64(split(k)[2]!);
    if (target.kind === 'earliest') return first;
    if (target.kind === 'latest') return head;
    // Store timestamps grow with offsets (assigned together): binary search for the first
    // message stored at or after the time. Offsets not readable yet are being written now.
    let lo = first;
    let hi = head;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const m = await this.readMessage(topic, queueId, mid);
      if (!m || m.storeTimestampMs >= target.timestampMs) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  async forwardToDeadLetter(group: string, topic: string, receiptHandle: string): Promise<AckResult> {
    return this.withDelivery(group, topic, receiptHandle, async (state, entry) => {
      const message = await this.readMessage(topic, state.queueId, entry.offset);
      const ops: Op[] = [this.inflightDel(state, entry.offset)];
      state.inflight.delete(entry.offset);
      const topics: string[] = [topic];
      if (message) {
        const dlq = await this.ensureDeadLetterTopic(group, ops);
        await this.head(dlq, 0);
        ops.push(...this.assignOffsets(dlq, 0, [this.deadLetterInput(message, group)]).ops); // synchronous from here to write()
        topics.push(dlq);
      }
      return { done: this.write(ops), value: 'ok' as const, topics };
    });
  }

  async nextRedeliveryInMs(group: string, topic: string): Promise<number | undefined> {
    // Loaded from disk if needed: in-flight deliveries survive a restart.
    const state = await this.consumerState(topic, group, 0);
    let min: number | undefined;
    for (const e of state.inflight.values()) {
      if (e.attempt > 0 && (min === undefined || e.visibleAtMs < min)) min = e.visibleAtMs;
    }
    return min === undefined ? undefined : Math.max(0, min - this.clock.now());
  }

  async groupStats(group: string): Promise<GroupTopicStats[]> {
    const topics = new Set<string>();
    for await (const key of this.consumer.keys(prefixRange('c'))) {
      const [, topic, g] = split(key);
      if (g === group && topic) topics.add(topic);
    }
    for (const state of this.consumers.values()) if (state.group === group) topics.add(state.topic);
    const out: GroupTopicStats[] = [];
    for (const topic of topics) {
      const state = await this.consumerState(topic, group, 0);
      const head = await this.head(topic, 0);
      const first = await this.firstOffset(topic, 0);
      let inFlight = 0;
      let waiting = 0;
      for (const e of state.inflight.values()) {
        if (e.attempt > 0) inFlight++;
        else waiting++;
      }
      // Behind the first retained offset (retention is moving it up): it reads from there.
      const consumedOffset = Math.max(state.cursor, first);
      out.push({ group, topic, consumedOffset, lag: Math.max(0, head - consumedOffset) + waiting, inFlight });
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // retention

  /** Bytes stored in a queue (see queueBytes). */
  private async storedBytes(topic: string, queueId: number): Promise<number> {
    const key = join(topic, u64(queueId));
    const known = this.queueBytes.get(key);
    if (known !== undefined) return known;
    return this.mutex.run(`bytes\x00${key}`, async () => {
      const again = this.queueBytes.get(key);
      if (again !== undefined) return again;
      await this.head(topic, queueId);
      // From here appends add their own size; the scan counts everything below this head.
      const head = this.heads.get(key)!;
      this.queueBytes.set(key, 0);
      await this.writer.flushed();
      let total = 0;
      for await (const value of this.log.values({ gte: logKey(topic, queueId, 0), lt: logKey(topic, queueId, head) })) total += value.length;
      const now = (this.queueBytes.get(key) ?? 0) + total;
      this.queueBytes.set(key, now);
      return now;
    });
  }

  async purgeQueue(topic: string, queueId: number, limits: PurgeLimits): Promise<PurgeResult> {
    // Under the topic's lock: a concurrent deleteTopic must not see its purge mark come back.
    return this.mutex.run(`topic\x00${topic}`, async () => {
      if (!(await this.getTopic(topic))) return { deleted: 0, minOffset: 0, more: false };
      const bytes = limits.maxBytes !== undefined ? await this.storedBytes(topic, queueId) : undefined;
      const before = limits.olderThanMs !== undefined ? this.clock.now() - limits.olderThanMs : undefined;
      const ops: Op[] = [];
      let freed = 0;
      let keptFrom: number | undefined;
      let lastDeleted = -1;
      for await (const [key, value] of this.log.iterator({ ...logRange(topic, queueId), limit: limits.maxMessages })) {
        const offset = parseU64(split(key)[2]!);
        const old = before !== undefined && decodeRecord<StoredMessage>(value).storeTimestampMs <= before;
        const over = bytes !== undefined && bytes - freed > limits.maxBytes!;
        if (!old && !over) {
          keptFrom = offset;
          break;
        }
        ops.push({ type: 'del', sublevel: this.log, key });
        freed += value.length;
        lastDeleted = offset;
      }
      if (ops.length === 0) return { deleted: 0, minOffset: keptFrom ?? (await this.head(topic, queueId)), more: false };
      const minOffset = keptFrom ?? lastDeleted + 1;
      ops.push({ type: 'put', sublevel: this.meta, key: purgedKey(topic, queueId), value: Buffer.from(String(minOffset)) });
      await this.write(ops);
      const key = join(topic, u64(queueId));
      const counted = this.queueBytes.get(key);
      if (counted !== undefined) this.queueBytes.set(key, Math.max(0, counted - freed));
      await this.advanceConsumers(topic, queueId, minOffset);
      const deleted = ops.length - 1;
      return { deleted, minOffset, more: deleted >= limits.maxMessages };
    });
  }

  /** After a purge: groups behind the new first offset move up to it and forget deleted deliveries. */
  private async advanceConsumers(topic: string, queueId: number, minOffset: number): Promise<void> {
    const groups = new Set<string>();
    for await (const key of this.consumer.keys(prefixRange('c', topic))) {
      const [, , group, queue] = split(key);
      if (group && parseU64(queue!) === queueId) groups.add(group);
    }
    for (const state of this.consumers.values()) if (state.topic === topic && state.queueId === queueId) groups.add(state.group);
    for (const group of groups) {
      await this.mutex.run(`consumer\x00${this.consumerKey(topic, group, queueId)}`, async () => {
        const state = await this.consumerState(topic, group, queueId);
        const ops: Op[] = [];
        if (state.cursor < minOffset) {
          state.cursor = minOffset;
          ops.push({ type: 'put', sublevel: this.consumer, key: cursorKey(topic, group, queueId), value: Buffer.from(String(minOffset)) });
        }
        for (const offset of [...state.inflight.keys()]) {
          if (offset >= minOffset) continue;
          state.inflight.delete(offset);
          ops.push(this.inflightDel(state, offset));
        }
        if (ops.length > 0) await this.write(ops);
      });
    }
  }

  // ---------------------------------------------------------------------------------------
  // leases

  async tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const lease = this.leases.get(name);
    if (lease && lease.holder !== holder && lease.untilMs > now) return false;
    this.leases.set(name, { holder, untilMs: now + ttlMs });
    return true;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }

  async read(topic: string, queueId: number, fromOffset: number, max: number): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    for await (const value of this.log.values({ gte: logKey(topic, queueId, fromOffset), lt: logRange(topic, queueId).lt, limit: max })) {
      out.push(decodeRecord<StoredMessage>(value));
    }
    return out;
  }
}
