// Owns the PostgreSQL store's consumption: receives (expired deliveries first, then new
// messages from the group's cursor, dead-lettering past the attempt limit), acks, invisibility
// changes and renewals, offset resets and group statistics. Every change to a group's
// deliveries in a queue locks that group's cursor row first, so receives through any number of
// brokers never hand out a message twice; receipt handles name rows, so any broker accepts them.
// The rules (what is redelivered, dead-lettered, delivered, skipped or kept waiting) are the
// domain planners of receive-plan.ts, applied to the rows read under that lock.
import { BrokerError, Code } from '../../errors.js';
import type { RetryBackoff } from '../../domain/backoff.js';
import type { AckResult, AutoRenewedDelivery, Delivery, ReceiveRequest, ReceiveResult } from '../../domain/consumption.js';
import { deliveryTrace, type DeliveryEnd, type DeliveryEvent, type DeliveryRecord } from '../../domain/deliveries.js';
import { groupProgress, type GroupRecord, type GroupTopicStats, type OffsetResetResult, type OffsetResetTarget } from '../../domain/groups.js';
import type { StoredMessage } from '../../domain/messages.js';
import { deadLetterTopic } from '../../domain/names.js';
import {
  changedInvisibilityMs,
  deadLetterInput,
  delivered,
  isCurrentDelivery,
  isRenewedBy,
  newInflight,
  planReceive,
  type InflightRecord,
} from '../../domain/receive-plan.js';
import type { TopicRecord } from '../../domain/topics.js';
import { decodeReceiptHandle, encodeReceiptHandle, newDeliveryToken } from '../receipt-handle.js';
import type { Tx } from './db.js';
import { appendIn } from './log.js';
import { fromRow, type PgContext } from './records.js';

interface InflightRow {
  queue_offset: number;
  attempt: number;
  visible_at_ms: number;
  token: string;
  message_group: string | null;
  renew: InflightRecord['renew'] | null;
  first_at_ms: number | null;
}
interface MessageRow {
  header: Omit<StoredMessage, 'body'>;
  body: Buffer;
}

interface DeliveryRow {
  grp: string;
  attempt: number;
  delivered_at_ms: number;
  client_id: string | null;
  outcome: DeliveryEnd['outcome'] | null;
  outcome_at_ms: number | null;
  inflight_attempt: number | null;
}

const QUEUE = 0;

/** Records how attempts of a group's messages ended (the delivery history). */
async function endDeliveries(
  tx: Tx,
  topic: string,
  queueId: number,
  group: string,
  entries: { offset: number; attempt: number }[],
  outcome: DeliveryEnd['outcome'],
  atMs: number,
): Promise<void> {
  if (entries.length === 0) return;
  await tx.run('end_deliveries', [topic, queueId, group, entries.map((e) => e.offset), entries.map((e) => e.attempt), outcome, atMs]);
}
const MAX_WAITING_PER_CONSUMER = 10_000;

function recordOf(r: InflightRow): InflightRecord {
  const e: InflightRecord = { offset: r.queue_offset, attempt: r.attempt, visibleAtMs: r.visible_at_ms, token: r.token };
  if (r.message_group !== null) e.messageGroup = r.message_group;
  if (r.renew) e.renew = r.renew;
  if (r.first_at_ms !== null) e.firstAtMs = r.first_at_ms;
  return e;
}

export interface PgConsumptionOptions {
  /** Log entries one receive may examine (bounds one call's work). */
  maxScanPerReceive: number;
}

export class PgConsumption {
  constructor(
    private readonly ctx: PgContext,
    private readonly options: PgConsumptionOptions,
  ) {}

  private async upsert(tx: Tx, group: string, topic: string, queueId: number, entries: InflightRecord[]): Promise<void> {
    if (entries.length === 0) return;
    await tx.run('upsert_inflight', [
      group,
      topic,
      queueId,
      entries.map((e) => e.offset),
      entries.map((e) => e.attempt),
      entries.map((e) => e.visibleAtMs),
      entries.map((e) => e.token),
      entries.map((e) => e.messageGroup ?? null),
      entries.map((e) => (e.renew ? JSON.stringify(e.renew) : null)),
      entries.map((e) => e.firstAtMs ?? null),
    ]);
  }

  /** Locks the group's cursor row of the queue, creating it at the group's start position if asked. */
  private async lockCursor(tx: Tx, group: string, topic: string, queueId: number, create: boolean): Promise<number | undefined> {
    for (;;) {
      const [row] = await tx.rows<{ next_offset: number }>('lock_cursor', [group, topic, queueId]);
      if (row) return row.next_offset;
      if (!create) return undefined;
      const [g] = await tx.rows<{ record: GroupRecord }>('get_group', [group]);
      const [head] = await tx.rows<{ next_offset: number; min_offset: number }>('get_head', [topic, queueId]);
      // latest: from the next offset; earliest: from the first retained one (reading seeks past gaps).
      const start = g?.record.startFrom === 'latest' ? (head?.next_offset ?? 0) : (head?.min_offset ?? 0);
      await tx.run('insert_cursor', [group, topic, queueId, start]);
    }
  }

  private async messagesAt(tx: Tx, topic: string, queueId: number, offsets: number[]): Promise<Map<number, StoredMessage>> {
    if (offsets.length === 0) return new Map();
    const rows = await tx.rows<MessageRow>('read_messages_at', [topic, queueId, offsets]);
    return new Map(rows.map((r) => [r.header.offset, fromRow<StoredMessage>(r)]));
  }

  private async deadLetter(tx: Tx, nowMs: number, group: string, messages: StoredMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const dlq = deadLetterTopic(group);
    const record: TopicRecord = { name: dlq, messageType: 'NORMAL', queueCount: 1, createdAtMs: nowMs };
    await tx.run('ensure_topic', [dlq, JSON.stringify(record)]);
    await appendIn(
      tx,
      nowMs,
      dlq,
      0,
      messages.map((m) => deadLetterInput(m, group)),
    );
  }

  receive(req: ReceiveRequest): Promise<ReceiveResult> {
    return this.ctx.db.tx(async (tx) => {
      const startCursor = (await this.lockCursor(tx, req.group, req.topic, QUEUE, true))!;
      // The time the receive takes effect: read once the group's lock is held, so a receive that
      // waited for a connection or for another receive of the group does not hand out a delivery
      // whose invisibility already ran partly out (as the LevelDB store, which reads it in its lock).
      const now = this.ctx.clock.now();
      const inflight = (await tx.rows<InflightRow>('list_inflight', [req.group, req.topic, QUEUE])).map(recordOf);
      const deliveries: Delivery[] = [];
      const deadLettered: StoredMessage[] = [];
      const upserts: InflightRecord[] = [];
      const deletes: number[] = [];
      const ended: { offset: number; attempt: number }[] = [];
      let inflightCount = inflight.length;
      const plan = planReceive(inflight, now, req);
      const deliver = (message: StoredMessage, entry: InflightRecord): void => {
        const next = delivered(entry, now, req, newDeliveryToken());
        upserts.push(next);
        const receiptHandle = encodeReceiptHandle({ topic: req.topic, queueId: QUEUE, offset: next.offset, token: next.token });
        const delivery: Delivery = { message, receiptHandle, deliveryAttempt: next.attempt, invisibleUntilMs: next.visibleAtMs };
        if (next.firstAtMs !== undefined) delivery.firstDeliveredAtMs = next.firstAtMs;
        deliveries.push(delivery);
      };

      // 1. Messages already handed out (and FIFO ones waiting), as planned: their messages in one read.
      const redeliveries = plan.steps.filter((step) => step.kind === 'redeliver').length;
      const planned = plan.steps.slice(0, plan.steps.length - redeliveries + Math.min(redeliveries, req.maxMessages));
      const messages = await this.messagesAt(
        tx,
        req.topic,
        QUEUE,
        planned.map((step) => step.entry.offset),
      );
      for (const step of plan.steps) {
        if (deliveries.length >= req.maxMessages) break;
        const message = messages.get(step.entry.offset) ?? (await this.messagesAt(tx, req.topic, QUEUE, [step.entry.offset])).get(step.entry.offset);
        if (message && step.kind === 'redeliver') {
          deliver(message, step.entry);
          continue;
        }
        deletes.push(step.entry.offset); // dead-lettered, or removed by retention meanwhile
        inflightCount--;
        if (message) {
          deadLettered.push(message);
          ended.push({ offset: step.entry.offset, attempt: step.entry.attempt });
        }
      }

      // 2. New messages from the group's cursor.
      let cursor = startCursor;
      let scanLimited = false;
      if (deliveries.length < req.maxMessages) {
        const rows = await tx.rows<MessageRow>('read_messages', [req.topic, QUEUE, cursor, this.options.maxScanPerReceive]);
        let scanned = 0;
        let stopped = false;
        for (const row of rows) {
          const message = fromRow<StoredMessage>(row);
          scanned++;
          cursor = message.offset + 1;
          const step = plan.admit(message);
          if (step === 'skip') continue;
          const entry = newInflight(message);
          inflightCount++;
          if (step === 'wait') {
            upserts.push(entry);
            if (inflightCount >= MAX_WAITING_PER_CONSUMER) {
              stopped = true;
              break;
            }
            continue;
          }
          deliver(message, entry);
          if (deliveries.length >= req.maxMessages) {
            stopped = true;
            break;
          }
        }
        // Every entry of the scan window was looked at: the log may go on beyond it.
        scanLimited = !stopped && scanned >= this.options.maxScanPerReceive;
        if (cursor !== startCursor) await tx.run('set_cursor', [req.group, req.topic, QUEUE, cursor]);
      }

      if (deletes.length > 0) await tx.run('delete_inflight', [req.group, req.topic, QUEUE, deletes]);
      await this.upsert(tx, req.group, req.topic, QUEUE, upserts);
      await this.deadLetter(tx, now, req.group, deadLettered);
      await endDeliveries(tx, req.topic, QUEUE, req.group, ended, 'DEAD_LETTERED', now);
      if (deliveries.length > 0) {
        const offsets = deliveries.map((d) => d.message.offset);
        await tx.run('insert_deliveries', [req.topic, QUEUE, req.group, now, req.clientId ?? null, offsets, deliveries.map((d) => d.deliveryAttempt)]);
      }
      const result: ReceiveResult = { deliveries, deadLettered };
      if (scanLimited) result.scanLimited = true;
      return result;
    });
  }

  /** Runs fn on the current delivery a handle names, under the group's cursor lock; 'stale' when it is not current. */
  private async withDelivery<T>(
    group: string,
    topic: string,
    receiptHandle: string,
    fn: (tx: Tx, entry: InflightRecord, queueId: number, nowMs: number) => Promise<T>,
  ): Promise<T | 'stale'> {
    const parts = decodeReceiptHandle(receiptHandle);
    if (parts.topic !== topic) throw new BrokerError(Code.INVALID_RECEIPT_HANDLE, `receipt handle belongs to topic ${parts.topic}, not ${topic}`);
    return this.ctx.db.tx(async (tx) => {
      if ((await this.lockCursor(tx, group, topic, parts.queueId, false)) === undefined) return 'stale' as const;
      const [row] = await tx.rows<InflightRow>('get_inflight', [group, topic, parts.queueId, parts.offset]);
      const entry = row ? recordOf(row) : undefined;
      if (!isCurrentDelivery(entry, parts.token)) return 'stale' as const;
      // Like receive: the time is read holding the group's lock.
      return fn(tx, entry, parts.queueId, this.ctx.clock.now());
    });
  }

  ack(group: string, topic: string, receiptHandle: string): Promise<AckResult> {
    return this.withDelivery(group, topic, receiptHandle, async (tx, entry, queueId, now) => {
      await tx.run('delete_inflight', [group, topic, queueId, [entry.offset]]);
      await endDeliveries(tx, topic, queueId, group, [entry], 'ACKED', now);
      // FIFO: acking a group's head lets its next message through: wake waiting receivers.
      if (entry.messageGroup) tx.notify('appended', topic);
      return 'ok' as const;
    });
  }

  /** Each handle acked in its own transaction (concurrently: they queue on the group's cursor lock). */
  ackMany(group: string, topic: string, receiptHandles: readonly string[]): Promise<(AckResult | BrokerError)[]> {
    return Promise.all(
      receiptHandles.map((h) =>
        this.ack(group, topic, h).catch((err: unknown) => {
          if (err instanceof BrokerError) return err;
          throw err;
        }),
      ),
    );
  }

  changeInvisibleDuration(
    group: string,
    topic: string,
    receiptHandle: string,
    invisibleDurationMs: number,
    options: { autoRenewBackoff?: RetryBackoff } = {},
  ): Promise<{ receiptHandle: string; invisibleUntilMs: number } | 'stale'> {
    return this.withDelivery(group, topic, receiptHandle, async (tx, entry, queueId, now) => {
      const duration = changedInvisibilityMs(entry, invisibleDurationMs, options.autoRenewBackoff);
      const { renew: _renew, ...rest } = entry;
      // A new handle: the one it replaces goes stale, like a redelivery's predecessor.
      const next: InflightRecord = { ...rest, visibleAtMs: now + duration, token: newDeliveryToken() };
      await this.upsert(tx, group, topic, queueId, [next]);
      return { receiptHandle: encodeReceiptHandle({ topic, queueId, offset: next.offset, token: next.token }), invisibleUntilMs: next.visibleAtMs };
    });
  }

  renewInvisibility(group: string, topic: string, receiptHandle: string, invisibleDurationMs: number): Promise<{ invisibleUntilMs: number } | 'stale'> {
    return this.withDelivery<{ invisibleUntilMs: number } | 'stale'>(group, topic, receiptHandle, async (tx, entry, queueId, now) => {
      if (!entry.renew) return 'stale';
      // Same token: the handle the client holds stays valid.
      const next = { ...entry, visibleAtMs: now + invisibleDurationMs };
      await this.upsert(tx, group, topic, queueId, [next]);
      return { invisibleUntilMs: next.visibleAtMs };
    });
  }

  async listAutoRenewed(brokerId: string): Promise<AutoRenewedDelivery[]> {
    const rows = await this.ctx.db.rows<InflightRow & { grp: string; topic: string; queue_id: number }>('list_auto_renewed');
    return rows
      .filter((r) => isRenewedBy(recordOf(r), brokerId))
      .map((r) => ({
        group: r.grp,
        topic: r.topic,
        receiptHandle: encodeReceiptHandle({ topic: r.topic, queueId: r.queue_id, offset: r.queue_offset, token: r.token }),
        clientId: r.renew!.clientId,
        brokerId,
        deliveryAttempt: r.attempt,
        invisibleUntilMs: r.visible_at_ms,
        sinceMs: r.renew!.sinceMs,
      }));
  }

  async resetOffset(group: string, topic: string, target: OffsetResetTarget): Promise<OffsetResetResult[]> {
    const [topicRow] = await this.ctx.db.rows<{ record: TopicRecord }>('get_topic', [topic]);
    if (!topicRow) throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${topic} does not exist`);
    const results: OffsetResetResult[] = [];
    for (let queueId = 0; queueId < topicRow.record.queueCount; queueId++) {
      results.push(
        await this.ctx.db.tx(async (tx) => {
          const previousOffset = (await this.lockCursor(tx, group, topic, queueId, true))!;
          const newOffset = await this.offsetFor(tx, topic, queueId, target);
          const droppedInFlight = await tx.run('drop_inflight', [group, topic, queueId]);
          await tx.run('set_cursor', [group, topic, queueId, newOffset]);
          tx.notify('appended', topic); // long polls of the group look again
          return { topic, queueId, previousOffset, newOffset, droppedInFlight };
        }),
      );
    }
    return results;
  }

  /** The offset a reset target names (see OffsetResetTarget). */
  private async offsetFor(tx: Tx, topic: string, queueId: number, target: OffsetResetTarget): Promise<number> {
    const [head] = await tx.rows<{ next_offset: number; min_offset: number }>('get_head', [topic, queueId]);
    if (target.kind === 'earliest') return head?.min_offset ?? 0;
    if (target.kind === 'latest') return head?.next_offset ?? 0;
    const [at] = await tx.rows<{ queue_offset: number }>('first_offset_at', [topic, queueId, target.timestampMs]);
    return at?.queue_offset ?? head?.next_offset ?? 0;
  }

  forwardToDeadLetter(group: string, topic: string, receiptHandle: string): Promise<AckResult> {
    return this.withDelivery(group, topic, receiptHandle, async (tx, entry, queueId, now) => {
      const message = (await this.messagesAt(tx, topic, queueId, [entry.offset])).get(entry.offset);
      await tx.run('delete_inflight', [group, topic, queueId, [entry.offset]]);
      if (message) {
        await this.deadLetter(tx, now, group, [message]);
        await endDeliveries(tx, topic, queueId, group, [entry], 'DEAD_LETTERED', now);
      }
      tx.notify('appended', topic);
      return 'ok' as const;
    });
  }

  async nextRedeliveryInMs(group: string, topic: string): Promise<number | undefined> {
    const [row] = await this.ctx.db.rows<{ at: number | null }>('next_redelivery', [group, topic, QUEUE]);
    return row?.at == null ? undefined : Math.max(0, row.at - this.ctx.clock.now());
  }

  async deliveryHistory(topic: string, queueId: number, offset: number): Promise<DeliveryRecord[]> {
    const rows = await this.ctx.db.rows<DeliveryRow>('delivery_history', [topic, queueId, offset]);
    const delivered: DeliveryEvent[] = [];
    const ended: DeliveryEnd[] = [];
    const inFlight = new Map<string, number>();
    for (const r of rows) {
      delivered.push({ group: r.grp, attempt: r.attempt, deliveredAtMs: r.delivered_at_ms, ...(r.client_id ? { clientId: r.client_id } : {}) });
      if (r.outcome) ended.push({ group: r.grp, attempt: r.attempt, outcome: r.outcome, atMs: r.outcome_at_ms ?? 0 });
      if (r.inflight_attempt !== null && r.inflight_attempt > 0) inFlight.set(r.grp, r.inflight_attempt);
    }
    return deliveryTrace(delivered, ended, inFlight);
  }

  async groupStats(group: string): Promise<GroupTopicStats[]> {
    const out: GroupTopicStats[] = [];
    for (const { topic } of await this.ctx.db.rows<{ topic: string }>('group_topics', [group])) {
      const [cursor] = await this.ctx.db.rows<{ next_offset: number }>('get_cursor', [group, topic, QUEUE]);
      const [head] = await this.ctx.db.rows<{ next_offset: number }>('get_head', [topic, QUEUE]);
      const [first] = await this.ctx.db.rows<{ first: number | null }>('first_offset', [topic, QUEUE]);
      const inflight = await this.ctx.db.rows<{ attempt: number }>('inflight_attempts', [group, topic, QUEUE]);
      const headOffset = head?.next_offset ?? 0;
      out.push(groupProgress(group, topic, { cursor: cursor?.next_offset ?? 0, firstOffset: first?.first ?? headOffset, headOffset }, inflight));
    }
    return out;
  }
}
