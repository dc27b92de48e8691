// Owns the LevelStore class: the LevelDB implementation of BrokerStore as a composition of one
// part per concern (topics, log, schedule, transactions and checks, decisions, consumption,
// message index and delivery history, leases, membership, users and ACL rules) over one
// database (db.ts) and its queue heads (queues.ts). Here: open and close, the storage format
// version (refusing newer data directories, migrating older ones), and the delegation of each
// interface method to its part, inside LevelDb.shared (a reopen after a full disk waits for the
// calls under way and holds new ones back). Operations that span parts (deleteTopic) are
// composed here, under the lock of what they change.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokerError, Code } from '../../errors.js';
import { InProcessEventBus, type EventBus } from '../../runtime/event-bus.js';
import type { Clock } from '../../util/clock.js';
import type { AuthStore, BrokerStore, ConsumptionStore, MessageLog, MessageSchedule, StoreCapabilities, TopicCatalog, TransactionStore } from '../broker-store.js';
import { Auth } from './auth.js';
import { Checks } from './checks.js';
import { ConsumerStates } from './consumer-state.js';
import { Consumption } from './consumption.js';
import { LevelDb, type DiskOptions, type EngineOptions } from './db.js';
import type { StoreHealth } from './disk-guard.js';
import { Decisions } from './decisions.js';
import { Leases } from './leases.js';
import { Log } from './log.js';
import { Membership } from './membership.js';
import { MessageIndex } from './message-index.js';
import { Queues } from './queues.js';
import { Schedule } from './schedule.js';
import { topicLock, Topics } from './topics.js';
import { Transactions } from './transactions.js';

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
  /** Bytes of recent half messages kept in memory for their COMMIT (default 64 MiB; 0 keeps none). */
  halfCacheBytes?: number;
  /** What to do when the disk fills up (see DiskGuard). */
  disk?: DiskOptions;
  /** How LevelDB is sized: memtable, table cache, block cache (defaults in db.ts). */
  engine?: EngineOptions;
}

/**
 * The storage format this version writes and reads; older data directories are migrated on open.
 * 1: no version recorded, the MQ HTTP age budget kept as a client-id prefix `http:`.
 * 2: a `budget` on each half message. 3: decisions indexed by message key and by decision time.
 * 4: committed messages indexed by message id and by key (message trace), delivery history.
 * 5: message records (log, half bodies, DELAY messages) written with a binary header
 * (record-codec.ts), half-message metadata and decisions without the ids their keys hold,
 * in-flight records binary and an attempt's history record written when it is over
 * (inflight-codec.ts, message-index.ts); records of older formats are read as they are (no migration).
 * 6: a clean close records the pending and abandoned transaction counts (`meta txcounts`, read and
 * removed at the next open instead of reading every half record); a version that does not know
 * the record must not open the directory, or the next open would read counts that it left stale.
 * 7: delivery history records binary (message-index.ts) and half-message metadata binary
 * (half-codec.ts); the JSON records of older formats are read as they are (a half record is
 * written binary at its next change; no migration).
 * 8: decision records binary (decision-codec.ts); the JSON ones of older formats are read as they
 * are (no migration). A version that reads only JSON decisions must not open the directory.
 */
export const STORAGE_FORMAT_VERSION = 8;

export class LevelStore implements BrokerStore {
  readonly capabilities: StoreCapabilities = { sharedAcrossProcesses: false, persistent: true };
  readonly events: EventBus;
  private readonly d: LevelDb;
  private readonly topics: Topics;
  private readonly log: Log;
  private readonly scheduler: Schedule;
  private readonly tx: Transactions;
  private readonly checks: Checks;
  private readonly decisions: Decisions;
  private readonly consumers: ConsumerStates;
  private readonly consumption: Consumption;
  private readonly leases: Leases;
  private readonly membership: Membership;
  private readonly index: MessageIndex;
  private readonly auth: Auth;
  private opened = false;

  constructor(private readonly options: LevelStoreOptions) {
    this.events = options.events ?? new InProcessEventBus();
    this.d = new LevelDb(options.path, options.clock, options.durable ?? true, this.events, options.disk, options.engine);
    const queues = new Queues(this.d);
    this.topics = new Topics(this.d, queues);
    this.consumers = new ConsumerStates(this.d, queues, this.topics);
    this.index = new MessageIndex(this.d);
    this.log = new Log(this.d, queues, this.topics, this.consumers, this.index);
    this.scheduler = new Schedule(this.d, queues, this.topics);
    this.decisions = new Decisions(this.d);
    this.tx = new Transactions(this.d, queues, this.topics, this.decisions, options.halfCacheBytes);
    this.checks = new Checks(this.d, this.tx);
    this.consumption = new Consumption(this.d, queues, this.topics, this.consumers, options.maxScanPerReceive ?? 1024, this.index);
    this.leases = new Leases(options.clock);
    this.membership = new Membership(options.clock);
    this.auth = new Auth(this.d);
  }

  /** Healthy unless its disk filled up and has not got enough free space back (the admin listener's /healthz). */
  get health(): StoreHealth {
    return this.d.health;
  }

  /** Batches and transitions written so far (group-commit efficiency). */
  get writeStats(): { batches: number; transitions: number } {
    return this.d.writeStats;
  }

  observeWrites(observer: (transitions: number, ms: number) => void): void {
    this.d.observeWrites(observer);
  }

  /** The files of the LevelDB directory. */
  async sizeBytes(): Promise<number> {
    let total = 0;
    for (const entry of await readdir(this.options.path, { withFileTypes: true })) {
      if (entry.isFile()) total += (await stat(join(this.options.path, entry.name)).catch(() => ({ size: 0 }))).size;
    }
    return total;
  }

  /** Entries and bytes of the recent half-message cache. */
  get halfCacheStats(): { entries: number; bytes: number } {
    return this.tx.halfCacheStats;
  }

  async open(): Promise<void> {
    if (this.opened) return;
    await this.d.open();
    await this.checkFormat();
    await this.tx.load();
    await this.scheduler.load();
    this.opened = true;
  }

  /** Refuses a data directory written by a newer Halfmoon, and migrates an older one step by step. */
  private async checkFormat(): Promise<void> {
    const recorded = await this.d.meta.get('formatVersion');
    const version = recorded ? Number(recorded.toString('utf8')) : 1;
    if (version === STORAGE_FORMAT_VERSION) return;
    if (!(Number.isInteger(version) && version >= 1 && version < STORAGE_FORMAT_VERSION)) {
      await this.d.close();
      throw new BrokerError(
        Code.INTERNAL_ERROR,
        `the data directory ${this.options.path} has storage format ${recorded!.toString('utf8')}, but this Halfmoon reads formats up to ${STORAGE_FORMAT_VERSION}: upgrade Halfmoon, or start it with another --data directory`,
      );
    }
    // Each step is idempotent: a migration interrupted by a crash runs again at the next open.
    if (version < 2) await this.tx.migrateBudgets();
    if (version < 3) await this.decisions.buildIndexes();
    if (version < 4) await this.index.buildIndex();
    await this.d.write([{ type: 'put', sublevel: this.d.meta, key: 'formatVersion', value: Buffer.from(String(STORAGE_FORMAT_VERSION)) }]);
  }

  async close(): Promise<void> {
    await this.d.close();
  }

  // TopicCatalog
  createTopic(...a: Parameters<TopicCatalog['createTopic']>) {
    return this.d.shared(() => this.topics.createTopic(...a));
  }
  getTopic(...a: Parameters<TopicCatalog['getTopic']>) {
    return this.d.shared(() => this.topics.getTopic(...a));
  }
  listTopics() {
    return this.d.shared(() => this.topics.listTopics());
  }
  queueStats(...a: Parameters<TopicCatalog['queueStats']>) {
    return this.d.shared(() => this.topics.queueStats(...a));
  }
  createGroup(...a: Parameters<TopicCatalog['createGroup']>) {
    return this.d.shared(() => this.topics.createGroup(...a));
  }
  updateGroup(...a: Parameters<TopicCatalog['updateGroup']>) {
    return this.d.shared(() => this.topics.updateGroup(...a));
  }
  getGroup(...a: Parameters<TopicCatalog['getGroup']>) {
    return this.d.shared(() => this.topics.getGroup(...a));
  }
  listGroups() {
    return this.d.shared(() => this.topics.listGroups());
  }

  /** The topic's record, log and purge marks (Topics), then its consumer state (ConsumerStates), under the topic lock. */
  async deleteTopic(name: string): Promise<boolean> {
    return this.d.shared(() =>
      this.d.mutex.run(topicLock(name), async () => {
        const record = await this.topics.getTopic(name);
        if (!record) return false;
        await this.index.deleteTopic(name);
        await this.topics.deleteTopicData(record);
        await this.consumers.deleteTopic(name);
        return true;
      }),
    );
  }

  // MessageLog
  append(...a: Parameters<MessageLog['append']>) {
    return this.d.shared(() => this.log.append(...a));
  }
  read(...a: Parameters<MessageLog['read']>) {
    return this.d.shared(() => this.log.read(...a));
  }
  purgeQueue(...a: Parameters<MessageLog['purgeQueue']>) {
    return this.d.shared(() => this.log.purgeQueue(...a));
  }
  findMessages(...a: Parameters<MessageLog['findMessages']>) {
    return this.d.shared(() => this.log.findMessages(...a));
  }

  // MessageSchedule
  schedule(...a: Parameters<MessageSchedule['schedule']>) {
    return this.d.shared(() => this.scheduler.schedule(...a));
  }
  promoteDueScheduled(...a: Parameters<MessageSchedule['promoteDueScheduled']>) {
    return this.d.shared(() => this.scheduler.promoteDueScheduled(...a));
  }
  nextScheduledInMs() {
    return this.d.shared(() => this.scheduler.nextScheduledInMs());
  }

  // TransactionStore
  putHalf(...a: Parameters<TransactionStore['putHalf']>) {
    return this.d.shared(() => this.tx.putHalf(...a));
  }
  getHalf(...a: Parameters<TransactionStore['getHalf']>) {
    return this.d.shared(() => this.tx.getHalf(...a));
  }
  getDecision(...a: Parameters<TransactionStore['getDecision']>) {
    return this.d.shared(() => this.decisions.get(...a));
  }
  endTransaction(...a: Parameters<TransactionStore['endTransaction']>) {
    return this.d.shared(() => this.tx.endTransaction(...a));
  }
  listTransactions(...a: Parameters<TransactionStore['listTransactions']>) {
    return this.d.shared(() => this.tx.listTransactions(...a));
  }
  async pendingProducerGroups() {
    return [...this.tx.pendingByGroup.keys()];
  }
  async pendingTransactionCount(producerGroup: string) {
    return this.tx.pendingByGroup.get(producerGroup) ?? 0;
  }
  async transactionCounters() {
    return { ...this.tx.counters };
  }
  recordCheckAnswer(...a: Parameters<TransactionStore['recordCheckAnswer']>) {
    return this.d.shared(() => this.checks.recordCheckAnswer(...a));
  }
  claimDueChecks(...a: Parameters<TransactionStore['claimDueChecks']>) {
    return this.d.shared(() => this.checks.claimDueChecks(...a));
  }
  releaseCheck(...a: Parameters<TransactionStore['releaseCheck']>) {
    return this.d.shared(() => this.checks.releaseCheck(...a));
  }
  abandonTransaction(...a: Parameters<TransactionStore['abandonTransaction']>) {
    return this.d.shared(() => this.checks.abandonTransaction(...a));
  }
  rearmTransaction(...a: Parameters<TransactionStore['rearmTransaction']>) {
    return this.d.shared(() => this.checks.rearmTransaction(...a));
  }
  nextCheckDueInMs(...a: Parameters<TransactionStore['nextCheckDueInMs']>) {
    return this.d.shared(() => this.checks.nextCheckDueInMs(...a));
  }
  findDecisions(...a: Parameters<TransactionStore['findDecisions']>) {
    return this.d.shared(() => this.decisions.find(...a));
  }
  purgeDecisions(...a: Parameters<TransactionStore['purgeDecisions']>) {
    return this.d.shared(() => this.decisions.purge(...a));
  }

  // ConsumptionStore
  receive(...a: Parameters<ConsumptionStore['receive']>) {
    return this.d.shared(() => this.consumption.receive(...a));
  }
  ack(...a: Parameters<ConsumptionStore['ack']>) {
    return this.d.shared(() => this.consumption.ack(...a));
  }
  ackMany(...a: Parameters<ConsumptionStore['ackMany']>) {
    return this.d.shared(() => this.consumption.ackMany(...a));
  }
  changeInvisibleDuration(...a: Parameters<ConsumptionStore['changeInvisibleDuration']>) {
    return this.d.shared(() => this.consumption.changeInvisibleDuration(...a));
  }
  renewInvisibility(...a: Parameters<ConsumptionStore['renewInvisibility']>) {
    return this.d.shared(() => this.consumption.renewInvisibility(...a));
  }
  listAutoRenewed(...a: Parameters<ConsumptionStore['listAutoRenewed']>) {
    return this.d.shared(() => this.consumption.listAutoRenewed(...a));
  }
  resetOffset(...a: Parameters<ConsumptionStore['resetOffset']>) {
    return this.d.shared(() => this.consumption.resetOffset(...a));
  }
  forwardToDeadLetter(...a: Parameters<ConsumptionStore['forwardToDeadLetter']>) {
    return this.d.shared(() => this.consumption.forwardToDeadLetter(...a));
  }
  nextRedeliveryInMs(...a: Parameters<ConsumptionStore['nextRedeliveryInMs']>) {
    return this.d.shared(() => this.consumption.nextRedeliveryInMs(...a));
  }
  groupStats(...a: Parameters<ConsumptionStore['groupStats']>) {
    return this.d.shared(() => this.consumption.groupStats(...a));
  }
  deliveryHistory(...a: Parameters<ConsumptionStore['deliveryHistory']>) {
    return this.d.shared(() => this.consumption.deliveryHistory(...a));
  }

  // LeaseStore
  tryLease(name: string, holder: string, ttlMs: number) {
    return this.leases.tryLease(name, holder, ttlMs);
  }
  releaseLease(name: string, holder: string) {
    return this.leases.releaseLease(name, holder);
  }

  // MembershipStore (this process only)
  heartbeatBroker(brokerId: string, endpoint: string, ttlMs: number) {
    return this.membership.heartbeatBroker(brokerId, endpoint, ttlMs);
  }
  liveBrokers() {
    return this.membership.liveBrokers();
  }
  leaveBroker(brokerId: string) {
    return this.membership.leaveBroker(brokerId);
  }

  // AuthStore
  putUser(...a: Parameters<AuthStore['putUser']>) {
    return this.d.shared(() => this.auth.putUser(...a));
  }
  getUser(...a: Parameters<AuthStore['getUser']>) {
    return this.d.shared(() => this.auth.getUser(...a));
  }
  listUsers() {
    return this.d.shared(() => this.auth.listUsers());
  }
  deleteUser(...a: Parameters<AuthStore['deleteUser']>) {
    return this.d.shared(() => this.auth.deleteUser(...a));
  }
  putRule(...a: Parameters<AuthStore['putRule']>) {
    return this.d.shared(() => this.auth.putRule(...a));
  }
  deleteRule(...a: Parameters<AuthStore['deleteRule']>) {
    return this.d.shared(() => this.auth.deleteRule(...a));
  }
  listRules(...a: Parameters<AuthStore['listRules']>) {
    return this.d.shared(() => this.auth.listRules(...a));
  }
  authVersion() {
    return this.d.shared(() => this.auth.authVersion());
  }
}
