// Owns the domain records that cross the store boundary: topics, groups, messages,
// half messages (transactions) and consumer deliveries. Nothing here knows LevelDB or gRPC.

export const MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export function isMessageType(value: string): value is MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(value);
}

export interface TopicRecord {
  name: string;
  /** The one message type the topic accepts (RocketMQ 5 topic attribute `message.type`). */
  messageType: MessageType;
  /** Number of queues; Halfmoon serves one queue (id 0) per topic. */
  queueCount: number;
  /** TRANSACTION topics: what happens after the last check (absent: the broker's transactionCheckPolicy). */
  checkPolicy?: CheckPolicy;
  createdAtMs: number;
}

/** ROLLBACK the undecided transaction, or KEEP it ABANDONED for an operator. */
export type CheckPolicy = 'ROLLBACK' | 'KEEP';

export interface GroupRecord {
  name: string;
  /** FIFO group: one message of each message group in flight at a time. */
  fifo: boolean;
  /** Deliveries before a message is moved to `%DLQ%<group>` (RocketMQ: retryMaxTimes 16 + 1). */
  maxDeliveryAttempts: number;
  /** Where the group starts in a topic it has not consumed yet (absent: earliest). */
  startFrom?: GroupStart;
  createdAtMs: number;
}

/** earliest = the first retained message; latest = only messages sent from then on. */
export type GroupStart = 'earliest' | 'latest';

/** A message as a producer sent it, before the store gives it a place. */
export interface MessageInput {
  topic: string;
  messageId: string;
  messageType: MessageType;
  body: Buffer;
  tag?: string;
  keys: string[];
  messageGroup?: string;
  userProperties: Record<string, string>;
  bornTimestampMs: number;
  bornHost: string;
  /** DELAY messages: not deliverable before this time. */
  deliveryTimestampMs?: number;
}

/** A message in a topic's committed log. */
export interface StoredMessage extends MessageInput {
  queueId: number;
  offset: number;
  storeTimestampMs: number;
  /** Set on committed transactional messages (equals the message id). */
  transactionId?: string;
  /** Set on messages in a dead-letter topic: where they came from. */
  deadLetter?: { topic: string; messageId: string; group: string };
}

// ---------------------------------------------------------------------------
// Transactions

/** Where a transaction decision came from; recorded for the audit trail. */
export type DecisionSource = 'CLIENT' | 'SERVER_CHECK' | 'ADMIN' | 'POLICY' | 'HTTP';
export type Resolution = 'COMMIT' | 'ROLLBACK';

/**
 * PENDING: half message stored, waiting for a decision (and being checked).
 * ABANDONED: check budget used up under the KEEP policy; kept for manual resolution, not checked.
 * COMMITTED / ROLLED_BACK: terminal.
 */
export type TransactionState = 'PENDING' | 'ABANDONED' | 'COMMITTED' | 'ROLLED_BACK';

export interface HalfMessage {
  transactionId: string;
  message: MessageInput;
  /** Producer group that may be asked about it; the RocketMQ 5 proxy uses the topic name. */
  producerGroup: string;
  /** Client id of the producer that sent the half message (asked first). */
  senderClientId: string;
  receivedAtMs: number;
  state: 'PENDING' | 'ABANDONED';
  /** Checks actually delivered to a producer. */
  checkCount: number;
  /** Next time the transaction is due for a check (meaningless when ABANDONED). */
  nextCheckAtMs: number;
  lastCheckAtMs?: number;
  lastCheckClientId?: string;
  /** Why it was abandoned, when ABANDONED. */
  abandonReason?: string;
  /** The checks delivered, oldest first (the audit trail; the latest MAX_CHECK_HISTORY). */
  checks?: CheckRecord[];
}

/** One check pushed to a producer: when, and to which client. */
export interface CheckRecord {
  atMs: number;
  clientId: string;
}

/** Checks kept per transaction in its audit trail. */
export const MAX_CHECK_HISTORY = 32;

/** The durable outcome of a decided transaction (kept for idempotence and audit). */
export interface TransactionDecision {
  transactionId: string;
  topic: string;
  messageId: string;
  state: 'COMMITTED' | 'ROLLED_BACK';
  source: DecisionSource;
  reason?: string;
  receivedAtMs: number;
  decidedAtMs: number;
  checkCount: number;
  /** The message's keys, to find the transaction by key after it was decided. */
  keys?: string[];
  /** The checks delivered before the decision (see HalfMessage.checks). */
  checks?: CheckRecord[];
  /** Offset of the committed message in the topic's log. */
  offset?: number;
}

export type EndTransactionResult =
  | { kind: 'applied'; decision: TransactionDecision }
  | { kind: 'duplicate'; decision: TransactionDecision }
  | { kind: 'conflict'; decision: TransactionDecision }
  | { kind: 'unknown' }
  | { kind: 'mismatch'; expected: { topic: string; messageId: string } };

export interface TransactionCounters {
  pending: number;
  abandoned: number;
  committed: number;
  rolledBack: number;
  checksSent: number;
  checksAnswered: number;
}

// ---------------------------------------------------------------------------
// Consumption

/** Tag filter: '*' accepts everything; otherwise the tag must be one of `tags`. */
export type TagFilter = { kind: 'all' } | { kind: 'tags'; tags: ReadonlySet<string> };

export interface ReceiveRequest {
  group: string;
  topic: string;
  filter: TagFilter;
  maxMessages: number;
  invisibleDurationMs: number;
  /** Deliveries allowed before the message goes to the group's dead-letter topic. */
  maxDeliveryAttempts: number;
  /** FIFO consumption: deliver a message group's messages one at a time, in order. */
  fifo: boolean;
  /**
   * Push consumer deliveries (ReceiveMessage with auto_renew): the broker keeps them invisible
   * while this client is alive (see renewInvisibility). Recorded on the delivery, so it survives
   * a restart; any later delivery without it (e.g. a redelivery to a SimpleConsumer) clears it.
   */
  autoRenew?: { clientId: string };
}

export interface Delivery {
  message: StoredMessage;
  receiptHandle: string;
  /** 1 on first delivery. */
  deliveryAttempt: number;
  invisibleUntilMs: number;
}

export interface ReceiveResult {
  deliveries: Delivery[];
  /** Messages moved to the dead-letter topic by this call. */
  deadLettered: StoredMessage[];
  /**
   * Set (true) when the call stopped scanning the log at its per-call limit with more of the log
   * left to look at (e.g. a long run of messages the tag filter skips): call again at once rather
   * than waiting for a new append. Absent otherwise.
   */
  scanLimited?: true;
}

/** Exponential back-off of a retry policy, as advertised to push consumers. */
export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

/** Delay before delivery attempt `attempt + 1` after attempt `attempt` failed (attempt ≥ 1). */
export function backoffDelayMs(b: RetryBackoff, attempt: number): number {
  const delay = b.initialMs * Math.pow(b.multiplier, Math.max(0, attempt - 1));
  return Math.max(0, Math.min(delay, b.maxMs));
}

/** An in-flight delivery the broker keeps invisible for a live push consumer. */
export interface AutoRenewedDelivery {
  group: string;
  topic: string;
  receiptHandle: string;
  clientId: string;
  deliveryAttempt: number;
  invisibleUntilMs: number;
  /** When this delivery was handed out (renewal stops after autoRenewMaxMs). */
  sinceMs: number;
}

/**
 * Where `resetOffset` moves a group's position in a topic:
 * earliest = the first retained message, latest = after the last one (only new messages),
 * timestamp = the first message stored at or after that time (the end if there is none).
 */
export type OffsetResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'timestamp'; timestampMs: number };

export interface OffsetResetResult {
  topic: string;
  queueId: number;
  previousOffset: number;
  newOffset: number;
  /** In-flight (and FIFO-waiting) deliveries dropped by the reset; their handles went stale. */
  droppedInFlight: number;
}

/** What `purgeQueue` may delete from the head of a queue (retention). */
export interface PurgeLimits {
  /** Delete messages stored before this time. */
  beforeTimestampMs?: number;
  /** Delete the oldest messages while the queue holds more than this many bytes (stored size). */
  maxBytes?: number;
  /** Most messages deleted by one call (keeps one write small; call again while `more`). */
  maxMessages: number;
}

export interface PurgeResult {
  deleted: number;
  /** First retained offset after the call. */
  minOffset: number;
  /** The call stopped at maxMessages: more may be due. */
  more: boolean;
}

export type AckResult = 'ok' | 'stale';

export interface QueueStats {
  topic: string;
  queueId: number;
  /** First offset still retained. */
  minOffset: number;
  /** Offset the next message will get. */
  maxOffset: number;
}

export interface GroupTopicStats {
  group: string;
  topic: string;
  /** Next offset this group will look at. */
  consumedOffset: number;
  /**
   * Retained messages not yet delivered to the group: not yet looked at, plus FIFO messages
   * waiting behind their message group's head. (Messages skipped by a tag filter count as looked at.)
   */
  lag: number;
  /** Delivered and neither acked nor dead-lettered yet. */
  inFlight: number;
}
