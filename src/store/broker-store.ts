// Owns the storage contract every backend implements (LevelDB now, PostgreSQL later).
// Rules (shared/reference/scale-out.md §5):
//  1. One call per atomic state transition; no read-then-write across two calls.
//  2. Deadlines are computed by the store from durations and its clock.
//  3. Receipt handles are opaque tokens issued by the store; a redelivery issues a new one.
//  4. Every promise resolves only after the change is durable (when the store is durable).
//  5. Wake-ups (onAppend) are lossy hints; correctness never depends on them.
import type {
  AckResult,
  AutoRenewedDelivery,
  DecisionSource,
  EndTransactionResult,
  GroupRecord,
  GroupTopicStats,
  HalfMessage,
  MessageInput,
  OffsetResetResult,
  OffsetResetTarget,
  PurgeLimits,
  PurgeResult,
  QueueStats,
  ReceiveRequest,
  ReceiveResult,
  Resolution,
  RetryBackoff,
  StoredMessage,
  TopicRecord,
  TransactionCounters,
  TransactionDecision,
} from './types.js';

export interface StoreCapabilities {
  /** false: one broker process owns the data (LevelDB). */
  sharedAcrossProcesses: boolean;
}

export interface ClaimChecksRequest {
  producerGroup: string;
  /** At most this many transactions. */
  limit: number;
  /** Claimed transactions come due again this much later (the check interval). */
  nextCheckInMs: number;
  /** Transactions whose checkCount already reached this are returned in `exhausted`, not claimed. */
  checkMax: number;
  /**
   * The producer client the check goes to, recorded on the transaction. A function is asked
   * per due transaction (it sees the previous check's client); undefined leaves it unclaimed.
   */
  clientId: string | ((half: HalfMessage) => string | undefined);
}

export interface ClaimChecksResult {
  /** Claimed: checkCount already incremented, next due time moved forward. */
  claimed: HalfMessage[];
  /** Due, but their check budget is used up: the caller applies the policy. */
  exhausted: HalfMessage[];
  /**
   * Due, but unreadable (metadata or body): taken out of the index and, where the metadata
   * could be read, ABANDONED with the reason. The caller reports them.
   */
  quarantined: { transactionId: string; reason: string }[];
}

export interface DecisionFilter {
  key: string;
  state?: TransactionDecision['state'];
  topic?: string;
  limit: number;
}

export interface TransactionFilter {
  topic?: string;
  state?: 'PENDING' | 'ABANDONED';
  /** Only transactions whose message carries this key. */
  key?: string;
  limit?: number;
}

export interface BrokerStore {
  readonly capabilities: StoreCapabilities;
  open(): Promise<void>;
  /** Idempotent. Waits for queued writes. */
  close(): Promise<void>;

  // --- topics and groups -------------------------------------------------------------
  /** Creates the topic; throws BrokerError(BAD_REQUEST) if it exists with another type. Returns the record. */
  createTopic(topic: Omit<TopicRecord, 'createdAtMs'>): Promise<{ topic: TopicRecord; created: boolean }>;
  getTopic(name: string): Promise<TopicRecord | undefined>;
  listTopics(): Promise<TopicRecord[]>;
  /** Deletes the topic and its messages. Transactions keep their own keyspace. Returns false if absent. */
  deleteTopic(name: string): Promise<boolean>;
  queueStats(topic: string): Promise<QueueStats[]>;

  upsertGroup(group: Omit<GroupRecord, 'createdAtMs'>): Promise<GroupRecord>;
  /** Creates the group unless it exists; returns the stored record and whether it was created. */
  createGroup(group: Omit<GroupRecord, 'createdAtMs'>): Promise<{ group: GroupRecord; created: boolean }>;
  getGroup(name: string): Promise<GroupRecord | undefined>;
  listGroups(): Promise<GroupRecord[]>;

  // --- sending -------------------------------------------------------------------------
  /** Appends to the topic's queue; offsets are assigned in commit order without gaps. */
  append(topic: string, queueId: number, messages: MessageInput[]): Promise<StoredMessage[]>;
  /** Stores DELAY messages until their delivery time; returns their sequence numbers in the timer queue. */
  schedule(topic: string, queueId: number, messages: MessageInput[]): Promise<number[]>;
  /** Moves scheduled messages that are due into their topics' logs. Returns how many moved. */
  promoteDueScheduled(limit: number): Promise<number>;
  /** The earliest delivery time among scheduled messages, if any. */
  nextScheduledAtMs(): Promise<number | undefined>;

  // --- transactions ------------------------------------------------------------------
  /** Stores a half message, due for its first check at `firstCheckAtMs`. */
  putHalf(half: Omit<HalfMessage, 'state' | 'checkCount' | 'lastCheckAtMs' | 'lastCheckClientId'>): Promise<void>;
  /** A pending or abandoned transaction; its body is empty if that record is damaged (quarantined). */
  getHalf(transactionId: string): Promise<HalfMessage | undefined>;
  getDecision(transactionId: string): Promise<TransactionDecision | undefined>;
  /**
   * The single terminal transition of a transaction, first decision wins.
   * COMMIT: half removed and message appended to its topic's log in one batch.
   * ROLLBACK: half removed. Both record the decision.
   * `expect` (if given) must match the half message's topic and message id.
   */
  endTransaction(
    transactionId: string,
    resolution: Resolution,
    source: DecisionSource,
    expect?: { topic?: string; messageId?: string },
    reason?: string,
  ): Promise<EndTransactionResult>;
  /** Claims due PENDING transactions of a producer group for a check (see ClaimChecksRequest). */
  claimDueChecks(req: ClaimChecksRequest): Promise<ClaimChecksResult>;
  /** Undoes a claim whose check could not be delivered: count restored, due again at `dueAtMs`. */
  releaseCheck(transactionId: string, dueAtMs: number): Promise<void>;
  /** KEEP policy: stop checking, keep the half message for manual resolution. */
  abandonTransaction(transactionId: string, reason: string): Promise<boolean>;
  /** Undoes abandonTransaction: PENDING again with a fresh check budget, due at `dueAtMs`. False unless ABANDONED. */
  rearmTransaction(transactionId: string, dueAtMs: number): Promise<boolean>;
  /** Earliest next-check time of a producer group's pending transactions. */
  nextCheckDueAtMs(producerGroup: string): Promise<number | undefined>;
  /** Producer groups that have pending transactions. */
  pendingProducerGroups(): Promise<string[]>;
  /** How many PENDING (not abandoned) transactions a producer group has. */
  pendingTransactionCount(producerGroup: string): Promise<number>;
  listTransactions(filter: TransactionFilter): Promise<HalfMessage[]>;
  /** Decided transactions whose message carried the key (and match state and topic, if given). */
  findDecisions(filter: DecisionFilter): Promise<TransactionDecision[]>;
  transactionCounters(): TransactionCounters;
  /** Counts a check answer (an EndTransaction from SERVER_CHECK). */
  countCheckAnswered(): void;

  // --- consumption -----------------------------------------------------------------------
  /**
   * Delivers up to maxMessages: first expired in-flight messages (attempt + 1), then new ones
   * from the group's offset. Messages past maxDeliveryAttempts go to `%DLQ%<group>` instead.
   */
  receive(req: ReceiveRequest): Promise<ReceiveResult>;
  ack(group: string, topic: string, receiptHandle: string): Promise<AckResult>;
  /**
   * New invisibility from now; returns the receipt handle to use from now on (the old one goes
   * stale). The delivery stops being auto-renewed. With `autoRenewBackoff`, an auto-renewed
   * (push consumer) delivery stays invisible at least the back-off of its attempt: that is the
   * push consumer's nack, and the Node client sends its back-off seconds as milliseconds.
   */
  changeInvisibleDuration(
    group: string,
    topic: string,
    receiptHandle: string,
    invisibleDurationMs: number,
    options?: { autoRenewBackoff?: RetryBackoff },
  ): Promise<{ receiptHandle: string; invisibleUntilMs: number } | 'stale'>;
  /**
   * Server-side renewal of an auto-renewed delivery: new invisibility from now, and the receipt
   * handle stays valid (push consumers ack with the handle they received). 'stale' when the
   * handle is not the current delivery or the delivery is not auto-renewed (any more).
   */
  renewInvisibility(group: string, topic: string, receiptHandle: string, invisibleDurationMs: number): Promise<{ invisibleUntilMs: number } | 'stale'>;
  /** Every in-flight auto-renewed delivery (read once at startup by the renewal service). */
  listAutoRenewed(): Promise<AutoRenewedDelivery[]>;
  /**
   * Moves the group's position in every queue of the topic (see OffsetResetTarget) and drops
   * the group's in-flight and FIFO-waiting deliveries there, in one transition per queue: the
   * group then re-consumes (or skips) from the new position with fresh delivery attempts.
   */
  resetOffset(group: string, topic: string, target: OffsetResetTarget): Promise<OffsetResetResult[]>;
  /** Moves an in-flight message to the group's dead-letter topic now. */
  forwardToDeadLetter(group: string, topic: string, receiptHandle: string): Promise<AckResult>;
  /** Earliest time an in-flight message of (group, topic) becomes visible again. */
  nextRedeliveryAtMs(group: string, topic: string): Promise<number | undefined>;
  groupStats(group: string): Promise<GroupTopicStats[]>;

  // --- retention -------------------------------------------------------------------------
  /**
   * Deletes messages from the head of a queue (oldest first) within the limits; consumer groups
   * whose position is behind the new first offset move up to it and lose in-flight deliveries
   * of deleted messages. Offsets are never reused, not even after a restart of an emptied queue.
   */
  purgeQueue(topic: string, queueId: number, limits: PurgeLimits): Promise<PurgeResult>;

  // --- wake-ups --------------------------------------------------------------------------
  /** Called after messages become readable in a topic. Returns an unsubscribe function. */
  onAppend(topic: string, listener: () => void): () => void;

  // --- inspection --------------------------------------------------------------------------
  /** Reads committed messages in offset order (admin, tests). */
  read(topic: string, queueId: number, fromOffset: number, max: number): Promise<StoredMessage[]>;
}
