// Owns the consumption rules every backend applies inside its own atomic write, as pure
// planners: which expired in-flight deliveries come back and which go to the dead-letter queue
// instead, which new messages are delivered, skipped by the tag filter or kept waiting behind
// their FIFO message group's head, what a delivery makes of its in-flight record, what a
// dead-lettered message looks like, and the small rules of handles, nacks and renewals. No I/O.
import { backoffDelayMs, type RetryBackoff } from './backoff.js';
import type { ReceiveRequest } from './consumption.js';
import type { MessageInput, StoredMessage } from './messages.js';
import { deadLetterTopic } from './names.js';
import { matchesFilter } from './tag-filter.js';

/**
 * One in-flight delivery of a message to a group. attempt 0: FIFO, examined but waiting behind
 * the head of its message group (never handed out, so it has no valid handle).
 */
export interface InflightRecord {
  offset: number;
  attempt: number;
  visibleAtMs: number;
  /** The delivery token of the current receipt handle ('' while waiting). */
  token: string;
  messageGroup?: string;
  /** Auto-renewed (push consumer) delivery: the client it went to, when, and the broker renewing it (absent: any). */
  renew?: { clientId: string; sinceMs: number; brokerId?: string };
  /** When the message was first handed out to the group (absent in records written before it was kept). */
  firstAtMs?: number;
}

/** What the planners read of an in-flight delivery. */
export type InflightView = Pick<InflightRecord, 'offset' | 'attempt' | 'visibleAtMs' | 'messageGroup'>;

/** The FIFO ordering unit of a message: its message group, or the message on its own without one. */
export function fifoGroupOf(e: { offset: number; messageGroup?: string }): string {
  return e.messageGroup ?? `#${e.offset}`;
}

export type RedeliveryStep<E> = { kind: 'redeliver'; entry: E } | { kind: 'deadLetter'; entry: E };

export interface RedeliveryPlan<E> {
  /**
   * In offset order. The backend takes them in order until the receive holds maxMessages
   * deliveries (dead-letter steps do not count), and drops a step whose message is gone.
   */
  steps: RedeliveryStep<E>[];
  /** FIFO: message groups with a message in flight or waiting; their new messages must wait. */
  busyGroups: Set<string>;
}

/**
 * The in-flight deliveries a receive hands out again. FIFO: only the head (lowest offset) of each
 * message group, when it is waiting (attempt 0) or its invisibility has expired. Non-FIFO: every
 * expired one. A message already delivered maxDeliveryAttempts times goes to the dead-letter
 * queue instead.
 */
export function planRedeliveries<E extends InflightView>(inflight: Iterable<E>, nowMs: number, req: Pick<ReceiveRequest, 'fifo' | 'maxDeliveryAttempts'>): RedeliveryPlan<E> {
  const busyGroups = new Set<string>();
  let due: E[] = [];
  if (req.fifo) {
    for (const e of [...inflight].sort((a, b) => a.offset - b.offset)) {
      const group = fifoGroupOf(e);
      if (busyGroups.has(group)) continue; // behind its group's head
      busyGroups.add(group);
      if (e.attempt === 0 || e.visibleAtMs <= nowMs) due.push(e);
    }
  } else {
    // Only the expired ones are put in order (usually none of the many in flight).
    for (const e of inflight) if (e.visibleAtMs <= nowMs) due.push(e);
    if (due.length > 1) due = due.sort((a, b) => a.offset - b.offset);
  }
  const steps = due.map((entry): RedeliveryStep<E> => ({ kind: entry.attempt >= req.maxDeliveryAttempts ? 'deadLetter' : 'redeliver', entry }));
  return { steps, busyGroups };
}

/** What a receive does with the next new message of the log: hand it out, pass it (tag filter), or keep it waiting (FIFO, attempt 0). */
export type NewMessageStep = 'deliver' | 'skip' | 'wait';

export interface ReceivePlan<E> extends RedeliveryPlan<E> {
  /** Call in offset order for each new message looked at; a delivered FIFO message makes its group busy. */
  admit(message: Pick<StoredMessage, 'offset' | 'tag' | 'messageGroup'>): NewMessageStep;
}

/** The plan of one receive: redeliveries first (planRedeliveries), then new messages through `admit`. */
export function planReceive<E extends InflightView>(
  inflight: Iterable<E>,
  nowMs: number,
  req: Pick<ReceiveRequest, 'fifo' | 'maxDeliveryAttempts' | 'filter'>,
): ReceivePlan<E> {
  const plan = planRedeliveries(inflight, nowMs, req);
  const busy = plan.busyGroups;
  return {
    ...plan,
    admit(message) {
      if (!matchesFilter(req.filter, message.tag)) return 'skip';
      if (!req.fifo) return 'deliver';
      const group = fifoGroupOf(message);
      if (busy.has(group)) return 'wait';
      busy.add(group);
      return 'deliver';
    },
  };
}

/** The in-flight record of a new message before its first delivery (attempt 0: the waiting form). */
export function newInflight(message: Pick<StoredMessage, 'offset' | 'messageGroup'>): InflightRecord {
  const entry: InflightRecord = { offset: message.offset, attempt: 0, visibleAtMs: 0, token: '' };
  if (message.messageGroup) entry.messageGroup = message.messageGroup;
  return entry;
}

/** The record after handing the message out now with a new delivery token (auto-renewal as the request asks). */
export function delivered<E extends InflightRecord>(entry: E, nowMs: number, req: Pick<ReceiveRequest, 'invisibleDurationMs' | 'autoRenew'>, token: string): E {
  // A copy then assignments, not rest and spread (V8's slow path for records of varying shape).
  const next: E = Object.assign({}, entry);
  next.attempt = entry.attempt + 1;
  next.token = token;
  next.visibleAtMs = nowMs + req.invisibleDurationMs;
  if (entry.attempt === 0) next.firstAtMs = nowMs;
  if (req.autoRenew) next.renew = { clientId: req.autoRenew.clientId, sinceMs: nowMs, brokerId: req.autoRenew.brokerId };
  else if (next.renew !== undefined) delete next.renew;
  return next;
}

/** Whether a receipt handle's token names the current delivery of this record (else the handle is stale). */
export function isCurrentDelivery(entry: Pick<InflightRecord, 'attempt' | 'token'> | undefined, token: string): entry is InflightRecord {
  return entry !== undefined && entry.attempt > 0 && entry.token === token;
}

/**
 * The invisibility a changeInvisibleDuration gives: what was asked, but for an auto-renewed
 * (push consumer) delivery at least the back-off of its attempt (the push consumer's nack).
 */
export function changedInvisibilityMs(entry: Pick<InflightRecord, 'attempt' | 'renew'>, requestedMs: number, autoRenewBackoff?: RetryBackoff): number {
  if (!entry.renew || !autoRenewBackoff) return requestedMs;
  return Math.max(requestedMs, backoffDelayMs(autoRenewBackoff, entry.attempt));
}

/** Whether broker `brokerId` keeps this delivery alive (records from before broker ids: any broker). */
export function isRenewedBy(entry: Pick<InflightRecord, 'attempt' | 'renew'>, brokerId: string): boolean {
  return entry.renew !== undefined && entry.attempt > 0 && (entry.renew.brokerId === undefined || entry.renew.brokerId === brokerId);
}

/** When the first handed-out delivery becomes visible again (waiting ones do not count), if any. */
export function nextRedeliveryAtMs(inflight: Iterable<InflightView>): number | undefined {
  let min: number | undefined;
  for (const e of inflight) if (e.attempt > 0 && (min === undefined || e.visibleAtMs < min)) min = e.visibleAtMs;
  return min;
}

/** The message a dead-lettered one becomes in `%DLQ%<group>`: its content, and where it came from. */
export function deadLetterInput(message: StoredMessage, group: string): MessageInput & { deadLetter: NonNullable<StoredMessage['deadLetter']> } {
  const { queueId: _q, offset: _o, storeTimestampMs: _s, transactionId: _t, deadLetter: _d, ...input } = message;
  return { ...input, topic: deadLetterTopic(group), deadLetter: { topic: message.topic, messageId: message.messageId, group } };
}
