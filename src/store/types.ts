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
  createdAtMs: number;
}

export interface GroupRecord {
  name: string;
  /** FIFO group: one message of each message group in flight at a time. */
  fifo: boolean;
  /** Deliveries before a message is moved to `%DLQ%<group>` (RocketMQ: retryMaxTimes 16 + 1). */
  maxDeliveryAttempts: number;
  createdAtMs: number;
}

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
}

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
  /** Messages not yet looked at by the group. */
  lag: number;
  inFlight: number;
}
