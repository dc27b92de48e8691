// Owns the ConsumptionStore transitions of the LevelDB backend: receive, ack (one lock and one
// batch for the handles of one AckMessage), invisibility changes and push-consumer renewal,
// offset resets, forwarding to the dead-letter queue, and the group statistics. The rules (what
// is redelivered, dead-lettered, delivered, skipped or kept waiting) are the domain planners of
// receive-plan.ts; this file does the reads, the cache updates and the one batch per
// transition, under the consumer queue's lock. A delivery writes only its in-flight record
// (which carries the delivery history of the current attempt); the attempt's history record is
// written when it is over (message-index.ts).
import { BrokerError, Code } from '../../errors.js';
import type { RetryBackoff } from '../../domain/backoff.js';
import type { AckResult, AutoRenewedDelivery, Delivery, ReceiveRequest, ReceiveResult } from '../../domain/consumption.js';
import type { DeliveryRecord } from '../../domain/deliveries.js';
import { groupProgress, type GroupTopicStats, type OffsetResetResult, type OffsetResetTarget } from '../../domain/groups.js';
import type { StoredMessage } from '../../domain/messages.js';
import { changedInvisibilityMs, deadLetterInput, delivered, isRenewedBy, newInflight, nextRedeliveryAtMs, planReceive } from '../../domain/receive-plan.js';
import { encodeReceiptHandle, newDeliveryToken } from '../receipt-handle.js';
import type { ConsumptionStore } from '../broker-store.js';
import type { ConsumerState, ConsumerStates } from './consumer-state.js';
import type { LevelDb, Op } from './db.js';
import type { StoredInflight } from './inflight-codec.js';
import { logKey, logRange } from './keys.js';
import { attemptEndOp, attemptOverOp, type MessageIndex } from './message-index.js';
import type { LogInput, Queues } from './queues.js';
import { decodeRecord } from './record-codec.js';
import type { Topics } from './topics.js';

/** FIFO messages a consumer queue keeps waiting at most (bounds the cache and one receive's scan). */
const MAX_WAITING_PER_CONSUMER = 10_000;
/** Log entries read per step of a receive's scan at least (more when more deliveries are wanted). */
const MIN_READ_STEP = 16;
/** Bytes LevelDB reads ahead per step of an iterator (a step of 32 1 KiB messages is one read). */
const READ_STEP_BYTES = 256 * 1024;

/**
 * Reads a queue's log from an offset in steps. Offsets are consecutive and become readable in
 * order, so a step is one multi-get of the next offsets (one LevelDB call, no iterator), cut at
 * the first one missing (the end of what is written: the reader stops there). Only when the very
 * first offset is missing (appends still being written, a purge, or offsets a failed write took)
 * does an iterator seek to the next one that exists.
 */
class LogReader {
  private it: { nextv(n: number): Promise<[string, Buffer][]>; close(): Promise<void> } | undefined;
  /** A step was read by offsets already; `ended`: it was cut short. */
  private stepped = false;
  private ended = false;

  constructor(
    private readonly d: LevelDb,
    private readonly topic: string,
    private readonly queueId: number,
    private at: number,
    /** The queue's head (Queues.head): nothing is readable from there on. */
    private readonly head: number,
  ) {}

  async next(n: number): Promise<Buffer[]> {
    if (!this.it) {
      if (this.ended || this.at >= this.head) return [];
      const keys: string[] = [];
      for (let i = 0; i < Math.min(n, this.head - this.at); i++) keys.push(logKey(this.topic, this.queueId, this.at + i));
      const values = await this.d.log.getMany(keys);
      let found = 0;
      while (found < values.length && values[found] !== undefined) found++;
      if (found > 0 || this.stepped) {
        // Cut short: the end of what is written (a later receive seeks past a gap, if it is one).
        if (found < keys.length) this.ended = true;
        this.stepped = true;
        this.at += found;
        return values.slice(0, found) as Buffer[];
      }
      const range = { gte: logKey(this.topic, this.queueId, this.at), lt: logRange(this.topic, this.queueId).lt, highWaterMarkBytes: READ_STEP_BYTES };
      this.it = this.d.log.iterator(range);
    }
    return (await this.it.nextv(n)).map(([, value]) => value);
  }

  async close(): Promise<void> {
    await this.it?.close();
  }
}

/**
 * The in-flight record of a delivery made now (`next`: what the domain's `delivered` made of the
 * previous record), built field by field in one order: every record of the hot path then has the
 * same shape (the spread copies of `delivered` have varying ones, which made each later read of
 * the record, its encoding, the ack's lookup, a slow, polymorphic one).
 */
function storedDelivery(next: StoredInflight, nowMs: number, clientId: string | undefined): StoredInflight {
  const e: StoredInflight = { offset: next.offset, attempt: next.attempt, visibleAtMs: next.visibleAtMs, token: next.token };
  if (next.messageGroup !== undefined) e.messageGroup = next.messageGroup;
  if (next.renew !== undefined) e.renew = next.renew;
  if (next.firstAtMs !== undefined) e.firstAtMs = next.firstAtMs;
  e.atMs = nowMs;
  if (clientId) e.clientId = clientId;
  return e;
}

export class Consumption implements ConsumptionStore {
  constructor(
    private readonly d: LevelDb,
    private readonly queues: Queues,
    private readonly topics: Topics,
    private readonly states: ConsumerStates,
    /** Log entries a single receive may examine. */
    private readonly maxScan: number,
    private readonly index: MessageIndex,
  ) {}

  async receive(req: ReceiveRequest): Promise<ReceiveResult> {
    const queueId = 0;
    const { done, result, topics } = await this.d.mutex.run(this.states.lock(req.topic, req.group, queueId), async () => {
      const state = await this.states.get(req.topic, req.group, queueId);
      const now = this.d.clock.now();
      const ops: Op[] = [];
      const deliveries: Delivery[] = [];
      const deadLettered: StoredMessage[] = [];
      const dlqInputs: LogInput[] = [];
      const plan = planReceive(state.inflight.values(), now, req);
      const deliver = (message: StoredMessage, entry: StoredInflight): void => {
        const over = attemptOverOp(this.d, req.topic, queueId, req.group, entry);
        if (over) ops.push(over);
        const next = storedDelivery(delivered(entry, now, req, newDeliveryToken()), now, req.clientId);
        state.inflight.set(next.offset, next);
        ops.push(this.states.inflightOp(state, next));
        const delivery: Delivery = { message, receiptHandle: this.states.handleOf(state, next), deliveryAttempt: next.attempt, invisibleUntilMs: next.visibleAtMs };
        if (next.firstAtMs !== undefined) delivery.firstDeliveredAtMs = next.firstAtMs;
        deliveries.push(delivery);
      };

      // 1. Messages already handed out (and FIFO ones waiting), as planned.
      for (const step of plan.steps) {
        if (deliveries.length >= req.maxMessages) break;
        const message = await this.queues.readMessage(state.topic, queueId, step.entry.offset);
        if (message && step.kind === 'redeliver') {
          deliver(message, step.entry);
          continue;
        }
        state.inflight.delete(step.entry.offset); // dead-lettered, or removed by retention meanwhile
        ops.push(this.states.inflightDel(state, step.entry.offset));
        if (message) {
          dlqInputs.push(deadLetterInput(message, req.group));
          deadLettered.push(message);
          ops.push(attemptEndOp(this.d, req.topic, queueId, req.group, step.entry, { outcome: 'DEAD_LETTERED', atMs: now }));
        }
      }

      // 2. New messages from the group's offset, read in steps of about what is still wanted.
      let scanLimited = false;
      if (deliveries.length < req.maxMessages) {
        const startCursor = state.cursor;
        let scanned = 0;
        let stopped = false;
        const reader = new LogReader(this.d, req.topic, queueId, state.cursor, await this.queues.head(req.topic, queueId));
        try {
          scan: while (scanned < this.maxScan) {
            const step = await reader.next(Math.min(this.maxScan - scanned, Math.max(MIN_READ_STEP, req.maxMessages - deliveries.length)));
            if (step.length === 0) break;
            for (const value of step) {
              const message = decodeRecord<StoredMessage>(value);
              scanned++;
              state.cursor = message.offset + 1;
              const admitted = plan.admit(message);
              if (admitted === 'skip') continue;
              const entry = newInflight(message);
              if (admitted === 'wait') {
                state.inflight.set(entry.offset, entry);
                ops.push(this.states.inflightOp(state, entry));
                if (state.inflight.size >= MAX_WAITING_PER_CONSUMER) {
                  stopped = true;
                  break scan;
                }
                continue;
              }
              deliver(message, entry);
              if (deliveries.length >= req.maxMessages) {
                stopped = true;
                break scan;
              }
            }
          }
        } finally {
          await reader.close();
        }
        // Every entry of the scan window was looked at: the log may go on beyond it.
        scanLimited = !stopped && scanned >= this.maxScan;
        if (scanned > 0 && state.cursor !== startCursor) ops.push(this.states.cursorOp(req.topic, req.group, queueId, state.cursor));
      }

      const topics: string[] = [];
      if (dlqInputs.length > 0) {
        const dlq = await this.topics.ensureDeadLetterTopic(req.group, ops);
        await this.queues.head(dlq, 0);
        ops.push(...this.queues.assignOffsets(dlq, 0, dlqInputs).ops); // synchronous from here to write()
        topics.push(dlq);
      }
      const done = ops.length > 0 ? this.d.write(ops) : Promise.resolve();
      const result: ReceiveResult = { deliveries, deadLettered };
      if (scanLimited) result.scanLimited = true;
      return { done, result, topics };
    });
    await done;
    this.queues.notify(topics);
    return result;
  }

  async ack(group: string, topic: string, receiptHandle: string): Promise<AckResult> {
    const [result] = await this.ackMany(group, topic, [receiptHandle]);
    if (result instanceof BrokerError) throw result;
    return result!;
  }

  /** Acks the deliveries the handles name: one lock and one batch per queue; per handle 'ok', 'stale' or its error. */
  ackMany(group: string, topic: string, receiptHandles: readonly string[]): Promise<(AckResult | BrokerError)[]> {
    return this.states.withDeliveries(group, topic, receiptHandles, async (state, entries) => {
      const now = this.d.clock.now();
      const ops: Op[] = [];
      let fifo = false;
      for (const entry of entries) {
        state.inflight.delete(entry.offset);
        ops.push(this.states.inflightDel(state, entry.offset), attemptEndOp(this.d, topic, state.queueId, group, entry, { outcome: 'ACKED', atMs: now }));
        if (entry.messageGroup) fifo = true;
      }
      // FIFO: acking a group's head lets its next message through: wake waiting receivers.
      return { done: this.d.write(ops), topics: fifo ? [topic] : [] };
    });
  }

  async changeInvisibleDuration(
    group: string,
    topic: string,
    receiptHandle: string,
    invisibleDurationMs: number,
    options: { autoRenewBackoff?: RetryBackoff } = {},
  ): Promise<{ receiptHandle: string; invisibleUntilMs: number } | 'stale'> {
    return this.states.withDelivery(group, topic, receiptHandle, async (state, entry) => {
      entry.visibleAtMs = this.d.clock.now() + changedInvisibilityMs(entry, invisibleDurationMs, options.autoRenewBackoff);
      delete entry.renew;
      // A new handle: the one it replaces goes stale, like a redelivery's predecessor.
      entry.token = newDeliveryToken();
      return {
        done: this.d.write([this.states.inflightOp(state, entry)]),
        value: { receiptHandle: this.states.handleOf(state, entry), invisibleUntilMs: entry.visibleAtMs },
      };
    });
  }

  async renewInvisibility(group: string, topic: string, receiptHandle: string, invisibleDurationMs: number): Promise<{ invisibleUntilMs: number } | 'stale'> {
    return this.states.withDelivery<{ invisibleUntilMs: number } | 'stale'>(group, topic, receiptHandle, async (state, entry) => {
      if (!entry.renew) return { done: Promise.resolve(), value: 'stale' };
      // Same token: the handle the client holds stays valid.
      entry.visibleAtMs = this.d.clock.now() + invisibleDurationMs;
      return { done: this.d.write([this.states.inflightOp(state, entry)]), value: { invisibleUntilMs: entry.visibleAtMs } };
    });
  }

  async listAutoRenewed(brokerId: string): Promise<AutoRenewedDelivery[]> {
    const out: AutoRenewedDelivery[] = [];
    const add = (topic: string, group: string, queueId: number, e: StoredInflight): void => {
      if (!isRenewedBy(e, brokerId)) return;
      out.push({
        group,
        topic,
        receiptHandle: encodeReceiptHandle({ topic, queueId, offset: e.offset, token: e.token }),
        clientId: e.renew!.clientId,
        brokerId,
        deliveryAttempt: e.attempt,
        invisibleUntilMs: e.visibleAtMs,
        sinceMs: e.renew!.sinceMs,
      });
    };
    // Loaded consumer states are authoritative; the rest is read from disk.
    for await (const [topic, group, queueId, e] of this.states.unloadedInflight()) add(topic, group, queueId, e);
    for (const state of this.states.loaded()) for (const e of state.inflight.values()) add(state.topic, state.group, state.queueId, e);
    return out;
  }

  async resetOffset(group: string, topic: string, target: OffsetResetTarget): Promise<OffsetResetResult[]> {
    const record = await this.topics.getTopic(topic);
    if (!record) throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${topic} does not exist`);
    const results: OffsetResetResult[] = [];
    for (let queueId = 0; queueId < record.queueCount; queueId++) {
      results.push(
        await this.d.mutex.run(this.states.lock(topic, group, queueId), async () => {
          const state = await this.states.get(topic, group, queueId);
          const newOffset = await this.offsetFor(topic, queueId, target);
          const ops: Op[] = [];
          for (const entry of state.inflight.values()) {
            ops.push(this.states.inflightDel(state, entry.offset));
            const over = attemptOverOp(this.d, topic, queueId, group, entry); // its history says DROPPED
            if (over) ops.push(over);
          }
          ops.push(this.states.cursorOp(topic, group, queueId, newOffset));
          const result: OffsetResetResult = { topic, queueId, previousOffset: state.cursor, newOffset, droppedInFlight: state.inflight.size };
          state.inflight.clear();
          state.cursor = newOffset;
          await this.d.write(ops);
          return result;
        }),
      );
    }
    this.queues.notify([topic]); // long polls of the group look again
    return results;
  }

  /** The offset a reset target names (see OffsetResetTarget). */
  private async offsetFor(topic: string, queueId: number, target: OffsetResetTarget): Promise<number> {
    const head = await this.queues.head(topic, queueId);
    const first = await this.queues.retainedStart(topic, queueId);
    if (target.kind === 'earliest') return first;
    if (target.kind === 'latest') return head;
    // Store timestamps grow with offsets (assigned together): binary search for the first
    // message stored at or after the time. Offsets not readable yet are being written now.
    let lo = first;
    let hi = head;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const m = await this.queues.readMessage(topic, queueId, mid);
      if (!m || m.storeTimestampMs >= target.timestampMs) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  async forwardToDeadLetter(group: string, topic: string, receiptHandle: string): Promise<AckResult> {
    return this.states.withDelivery(group, topic, receiptHandle, async (state: ConsumerState, entry) => {
      const message = await this.queues.readMessage(topic, state.queueId, entry.offset);
      const ops: Op[] = [this.states.inflightDel(state, entry.offset)];
      state.inflight.delete(entry.offset);
      const topics: string[] = [topic];
      if (message) {
        ops.push(attemptEndOp(this.d, topic, state.queueId, group, entry, { outcome: 'DEAD_LETTERED', atMs: this.d.clock.now() }));
        const dlq = await this.topics.ensureDeadLetterTopic(group, ops);
        await this.queues.head(dlq, 0);
        ops.push(...this.queues.assignOffsets(dlq, 0, [deadLetterInput(message, group)]).ops); // synchronous from here to write()
        topics.push(dlq);
      }
      return { done: this.d.write(ops), value: 'ok' as const, topics };
    });
  }

  async nextRedeliveryInMs(group: string, topic: string): Promise<number | undefined> {
    // Loaded from disk if needed: in-flight deliveries survive a restart.
    const state = await this.states.get(topic, group, 0);
    const at = nextRedeliveryAtMs(state.inflight.values());
    return at === undefined ? undefined : Math.max(0, at - this.d.clock.now());
  }

  async deliveryHistory(topic: string, queueId: number, offset: number): Promise<DeliveryRecord[]> {
    const current: { group: string; entry: StoredInflight }[] = [];
    for (const group of await this.states.groupsOf(topic)) {
      const entry = (await this.states.get(topic, group, queueId)).inflight.get(offset);
      if (entry && entry.attempt > 0) current.push({ group, entry });
    }
    return this.index.history(topic, queueId, offset, current);
  }

  async groupStats(group: string): Promise<GroupTopicStats[]> {
    const out: GroupTopicStats[] = [];
    for (const topic of await this.states.topicsOf(group)) {
      const state = await this.states.get(topic, group, 0);
      const headOffset = await this.queues.head(topic, 0);
      const firstOffset = await this.queues.firstOffset(topic, 0);
      out.push(groupProgress(group, topic, { cursor: state.cursor, firstOffset, headOffset }, state.inflight.values()));
    }
    return out;
  }
}
