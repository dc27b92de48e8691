// Owns the storage contract every backend implements (LevelDB and PostgreSQL), as a
// composition of small interfaces, one per concern. Rules for every backend:
//  1. One call per atomic state transition; no read-then-write across two calls, and no
//     callback into the caller inside a write.
//  2. Callers pass durations; the store computes deadlines from its own clock.
//  3. Receipt handles are opaque tokens issued by the store; a redelivery issues a new one.
//  4. Every promise resolves only after the change is durable (when the store is durable).
//  5. Wake-ups go through `events` and are lossy hints; correctness never depends on them.
//  6. Nothing assumes one process: background work takes a lease (tryLease), and deliveries a
//     broker keeps alive for a push consumer carry that broker's id.
// The domain rules (src/domain) are applied inside each backend's atomic write; none is
// written twice.
import type { AclRule, AuthUser } from '../domain/acl.js';
import type { AckResult, AutoRenewedDelivery, ReceiveRequest, ReceiveResult } from '../domain/consumption.js';
import type { DeliveryRecord, MessageQuery } from '../domain/deliveries.js';
import type { RetryBackoff } from '../domain/backoff.js';
import type { GroupChange, GroupRecord, GroupSettings, GroupTopicStats, OffsetResetResult, OffsetResetTarget } from '../domain/groups.js';
import type { MessageInput, StoredMessage } from '../domain/messages.js';
import type { PurgeLimits, PurgeResult, QueueStats, TopicRecord } from '../domain/topics.js';
import type {
  BudgetLimits,
  DecisionActor,
  CheckRanks,
  DecisionSource,
  EndTransactionResult,
  HalfMessage,
  NewHalf,
  Resolution,
  TransactionCounters,
  TransactionDecision,
} from '../domain/transactions.js';
import type { BrokerError } from '../errors.js';
import type { EventBus } from '../runtime/event-bus.js';

export interface StoreCapabilities {
  /** true: several broker processes may open the same data at once (PostgreSQL); false: one process owns it (LevelDB). */
  sharedAcrossProcesses: boolean;
  /** The data survives close() and a new instance over the same location sees it. */
  persistent: boolean;
}

export interface ClaimChecksRequest {
  producerGroup: string;
  /** At most this many transactions. */
  limit: number;
  /** Claimed transactions come due again this much later (the check interval). */
  nextCheckInMs: number;
  /** Budgets: transactions that used theirs up are returned in `exhausted`, not claimed. */
  budget: BudgetLimits;
  /**
   * The client ids a check may go to (live producers of the group, or one MQ HTTP poller). The
   * store picks one per transaction with the domain rule chooseCheckTarget and records it;
   * empty: nothing is claimed, only used-up budgets are reported.
   */
  targets: readonly string[];
  /** How each target has been answering checks, best lowest (see CheckRanks); absent: all untried. */
  ranks?: CheckRanks;
  /**
   * A claimed check unanswered this long is sent again to another target (before the interval),
   * when there is another one; the unanswered check counts against budget.timeoutMax.
   */
  answerTimeoutMs?: number;
  /** Targets that answer checks: their silence on a check counts as an UNKNOWN answer, not a timeout. */
  answering?: readonly string[];
}

export interface ClaimChecksResult {
  /** Claimed: checkCount already incremented, next due time moved forward, lastCheckClientId the target. */
  claimed: HalfMessage[];
  /** Due, with the budget used up (and the reason): the caller applies the policy. */
  exhausted: { half: HalfMessage; reason: string }[];
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

/** Topics and consumer groups. */
export interface TopicCatalog {
  /** Creates the topic; throws BrokerError(BAD_REQUEST) if it exists with another type. */
  createTopic(topic: Omit<TopicRecord, 'createdAtMs'>): Promise<{ topic: TopicRecord; created: boolean }>;
  getTopic(name: string): Promise<TopicRecord | undefined>;
  listTopics(): Promise<TopicRecord[]>;
  /** Deletes the topic and its messages. Transactions keep their own keyspace. Returns false if absent. */
  deleteTopic(name: string): Promise<boolean>;
  queueStats(topic: string): Promise<QueueStats[]>;

  /** Creates the group unless it exists (the only first-use path); returns the stored record and whether it was created. */
  createGroup(group: GroupSettings): Promise<{ group: GroupRecord; created: boolean }>;
  /** Changes an existing group in one transition; undefined when there is no such group. */
  updateGroup(name: string, change: GroupChange): Promise<GroupRecord | undefined>;
  getGroup(name: string): Promise<GroupRecord | undefined>;
  listGroups(): Promise<GroupRecord[]>;
}

/** Topics' committed logs. */
export interface MessageLog {
  /** Appends to the topic's queue; offsets are assigned in commit order without gaps. */
  append(topic: string, queueId: number, messages: MessageInput[]): Promise<StoredMessage[]>;
  /** Reads committed messages in offset order (admin, tests). */
  read(topic: string, queueId: number, fromOffset: number, max: number): Promise<StoredMessage[]>;
  /**
   * Deletes messages from the head of a queue (oldest first) within the limits; consumer groups
   * whose position is behind the new first offset move up to it and lose in-flight deliveries
   * of deleted messages. Offsets are never reused, not even after a restart of an emptied queue.
   */
  purgeQueue(topic: string, queueId: number, limits: PurgeLimits): Promise<PurgeResult>;
  /**
   * Retained committed messages with the message id (or carrying the key), in the topic if given,
   * newest first, at most `limit`. A message id names one message per producer; several copies
   * (a dead-letter copy, a resend) are all returned.
   */
  findMessages(query: MessageQuery): Promise<StoredMessage[]>;
}

/** DELAY messages waiting for their delivery time. */
export interface MessageSchedule {
  /** Stores DELAY messages until their delivery time; returns their sequence numbers in the timer queue. */
  schedule(topic: string, queueId: number, messages: MessageInput[]): Promise<number[]>;
  /** Moves scheduled messages that are due into their topics' logs. Returns how many moved. */
  promoteDueScheduled(limit: number): Promise<number>;
  /** How long until the earliest scheduled message is due (0 when overdue), if there is one. */
  nextScheduledInMs(): Promise<number | undefined>;
}

/** Half messages, decisions and checks. */
export interface TransactionStore {
  /** Stores a half message, received now and due for its first check `firstCheckInMs` from now. A repeat is a no-op. */
  putHalf(half: NewHalf, firstCheckInMs: number): Promise<void>;
  /** A pending or abandoned transaction; its body is empty if that record is damaged (quarantined). */
  getHalf(transactionId: string): Promise<HalfMessage | undefined>;
  getDecision(transactionId: string): Promise<TransactionDecision | undefined>;
  /**
   * The single terminal transition of a transaction, first decision wins.
   * COMMIT: half removed and message appended to its topic's log in one batch.
   * ROLLBACK: half removed. Both record the decision. A SERVER_CHECK decision counts as a check answer.
   * `expect` (if given) must match the half message's topic and message id; `actor` (who
   * decided) goes into the decision record.
   */
  endTransaction(
    transactionId: string,
    resolution: Resolution,
    source: DecisionSource,
    expect?: { topic?: string; messageId?: string },
    reason?: string,
    actor?: DecisionActor,
  ): Promise<EndTransactionResult>;
  /**
   * Counts a check answer that decided nothing (UNKNOWN): the transaction stays pending, its last
   * check is no longer awaiting an answer and the next one is due `intervalMs` after it.
   */
  recordCheckAnswer(transactionId: string, intervalMs: number): Promise<void>;
  /** Claims due PENDING transactions of a producer group for a check (see ClaimChecksRequest). */
  claimDueChecks(req: ClaimChecksRequest): Promise<ClaimChecksResult>;
  /** Undoes a claim whose check could not be delivered: count and trail restored, due again now. */
  releaseCheck(transactionId: string): Promise<void>;
  /** KEEP policy: stop checking, keep the half message for manual resolution. */
  abandonTransaction(transactionId: string, reason: string): Promise<boolean>;
  /** Undoes abandonTransaction: PENDING again with a fresh check budget, due `dueInMs` from now. False unless ABANDONED. */
  rearmTransaction(transactionId: string, dueInMs: number): Promise<boolean>;
  /** How long until a producer group's earliest pending transaction is due (0 when overdue), if it has any. */
  nextCheckDueInMs(producerGroup: string): Promise<number | undefined>;
  /** Producer groups that have pending transactions. */
  pendingProducerGroups(): Promise<string[]>;
  /** How many PENDING (not abandoned) transactions a producer group has. */
  pendingTransactionCount(producerGroup: string): Promise<number>;
  listTransactions(filter: TransactionFilter): Promise<HalfMessage[]>;
  /** Decided transactions whose message carried the key (and match state and topic, if given), newest first. */
  findDecisions(filter: DecisionFilter): Promise<TransactionDecision[]>;
  /** Deletes up to `limit` decisions made at least `olderThanMs` ago, oldest first. */
  purgeDecisions(olderThanMs: number, limit: number): Promise<{ deleted: number; more: boolean }>;
  transactionCounters(): Promise<TransactionCounters>;
}

/** Consumer progress and in-flight deliveries. */
export interface ConsumptionStore {
  /**
   * Delivers up to maxMessages: first expired in-flight messages (attempt + 1), then new ones
   * from the group's offset. Messages past maxDeliveryAttempts go to `%DLQ%<group>` instead.
   */
  receive(req: ReceiveRequest): Promise<ReceiveResult>;
  ack(group: string, topic: string, receiptHandle: string): Promise<AckResult>;
  /**
   * Acks several deliveries of one group and topic (an AckMessage's entries), each as `ack` would,
   * in the order given; a backend may write them as one transition. Per handle: its AckResult, or
   * the error `ack` would have thrown for it (a malformed handle, or one of another topic).
   */
  ackMany(group: string, topic: string, receiptHandles: readonly string[]): Promise<(AckResult | BrokerError)[]>;
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
  /** The in-flight auto-renewed deliveries that broker `brokerId` keeps alive (read at its start). */
  listAutoRenewed(brokerId: string): Promise<AutoRenewedDelivery[]>;
  /**
   * Moves the group's position in every queue of the topic (see OffsetResetTarget) and drops
   * the group's in-flight and FIFO-waiting deliveries there, in one transition per queue: the
   * group then re-consumes (or skips) from the new position with fresh delivery attempts.
   */
  resetOffset(group: string, topic: string, target: OffsetResetTarget): Promise<OffsetResetResult[]>;
  /** Moves an in-flight message to the group's dead-letter topic now. */
  forwardToDeadLetter(group: string, topic: string, receiptHandle: string): Promise<AckResult>;
  /** How long until an in-flight message of (group, topic) becomes visible again (0 when it is), if any. */
  nextRedeliveryInMs(group: string, topic: string): Promise<number | undefined>;
  groupStats(group: string): Promise<GroupTopicStats[]>;
  /**
   * The delivery history of a retained message: each delivery to each group (attempt, when, to
   * which client) with what became of it (see deliveryTrace), by group then attempt. Kept as long
   * as the message: retention and topic deletion remove it with the message.
   */
  deliveryHistory(topic: string, queueId: number, offset: number): Promise<DeliveryRecord[]>;
}

/** Named leases, so that a sweep runs on one broker at a time. */
export interface LeaseStore {
  /**
   * Takes or renews the lease `name` for `holder` for `ttlMs` from now. True when `holder` holds
   * it now; false while another holder's lease has not expired.
   */
  tryLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives a lease up early (no-op unless `holder` holds it). */
  releaseLease(name: string, holder: string): Promise<void>;
}

/** A broker process that heartbeats into the store, and where clients reach it. */
export interface LiveBroker {
  brokerId: string;
  /** host:port advertised to clients ([v6]:port for an IPv6 host). */
  endpoint: string;
}

/**
 * Which broker processes are alive, for routes (advisory: never used for correctness). A shared
 * store (PostgreSQL) sees every broker on it; LevelDB only this process.
 */
export interface MembershipStore {
  /** Registers or renews `brokerId` at `endpoint`, alive until `ttlMs` from now (store clock). */
  heartbeatBroker(brokerId: string, endpoint: string, ttlMs: number): Promise<void>;
  /** Brokers whose heartbeat has not expired, ordered by brokerId. */
  liveBrokers(): Promise<LiveBroker[]>;
  /** Removes the broker at once (a clean shutdown). */
  leaveBroker(brokerId: string): Promise<void>;
}

/** What a backend can tell metrics about itself (optional: a backend without it reports nothing). */
export interface StoreObservability {
  /** Told about each physical write batch: the transitions it carried and the ms its write (and fsync) took. */
  observeWrites?(observer: (transitions: number, ms: number) => void): void;
  /** Bytes the store's data takes (the LevelDB directory; the PostgreSQL schema's tables and indexes). */
  sizeBytes?(): Promise<number>;
}

/**
 * Users and their ACL rules (authentication and authorization). Shared by every broker on a
 * shared store; brokers cache them and refresh when `authVersion` moves.
 */
export interface AuthStore {
  /** 'create': only if no user of that name exists (else unchanged); 'replace': creates or overwrites. */
  putUser(user: AuthUser, mode: 'create' | 'replace'): Promise<{ created: boolean }>;
  getUser(name: string): Promise<AuthUser | undefined>;
  /** Every user, ordered by name. */
  listUsers(): Promise<AuthUser[]>;
  /** Deletes the user and its rules; false if there was no such user. */
  deleteUser(name: string): Promise<boolean>;
  /** Creates or replaces the rule of (rule.user, rule.resource); false (and nothing stored) when the user does not exist. */
  putRule(rule: AclRule): Promise<boolean>;
  /** False if the user had no rule on that resource. */
  deleteRule(user: string, resource: string): Promise<boolean>;
  /** The rules of one user (or of every user), ordered by user then resource. */
  listRules(user?: string): Promise<AclRule[]>;
  /** A number that changes with every change of users or rules. */
  authVersion(): Promise<number>;
}

export interface BrokerStore
  extends TopicCatalog, MessageLog, MessageSchedule, TransactionStore, ConsumptionStore, LeaseStore, MembershipStore, AuthStore, StoreObservability {
  readonly capabilities: StoreCapabilities;
  /** Where the store announces appends (and, when shared, other processes' events). */
  readonly events: EventBus;
  open(): Promise<void>;
  /** Idempotent. Waits for queued writes. */
  close(): Promise<void>;
  /** Whether the store can take new messages now, and why not (e.g. its disk is full); absent: always healthy. */
  readonly health?: { healthy: boolean; reason?: string };
}
