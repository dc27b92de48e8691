// Owns PgStore, the PostgreSQL backend of BrokerStore: several broker processes share one
// database. It composes the parts next to it (catalog, log, transactions, consumption,
// membership, users and ACL rules), the database (pool, migrations, one SQL transaction per change) and the LISTEN
// connection that brings other brokers' wake-ups onto this store's event bus. Time comes from
// the injected clock and is passed into every statement (the system clock in production).
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logger.js';
import { silentLogger } from '../../logger.js';
import { BrokerError, Code } from '../../errors.js';
import { InProcessEventBus, type EventBus } from '../../runtime/event-bus.js';
import type { Clock } from '../../util/clock.js';
import type { BrokerStore, StoreCapabilities } from '../broker-store.js';
import { PgAuth } from './auth.js';
import { PgCatalog } from './catalog.js';
import { PgConsumption } from './consumption.js';
import { PgDatabase, describeTarget } from './db.js';
import { PgListener } from './listener.js';
import { PgLog } from './log.js';
import { PgMembership } from './membership.js';
import { PgTransactions } from './transactions.js';

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database */
  connectionString: string;
  /** Schema of the store's tables (default halfmoon); brokers sharing data use the same one. */
  schema?: string;
  clock: Clock;
  events?: EventBus;
  log?: Logger;
  /** Connections in the pool (default 8), besides the one LISTEN connection. */
  poolSize?: number;
  /** Longest wait for a connection or a query, in ms (default 10 s). */
  timeoutMs?: number;
  /** Log entries one receive may examine (default 1024). */
  maxScanPerReceive?: number;
}

export class PgStore implements BrokerStore {
  readonly capabilities: StoreCapabilities = { sharedAcrossProcesses: true, persistent: true };
  readonly events: EventBus;
  private readonly db: PgDatabase;
  private readonly listener: PgListener;
  private readonly catalog: PgCatalog;
  private readonly log: PgLog;
  private readonly txns: PgTransactions;
  private readonly consumption: PgConsumption;
  private readonly membership: PgMembership;
  private readonly auth: PgAuth;
  private state: 'new' | 'open' | 'closed' = 'new';

  constructor(options: PgStoreOptions) {
    const log = options.log ?? silentLogger();
    const events = (this.events = options.events ?? new InProcessEventBus());
    this.db = new PgDatabase(
      { connectionString: options.connectionString, schema: options.schema ?? 'halfmoon', poolSize: options.poolSize, timeoutMs: options.timeoutMs, log },
      (notes) => {
        for (const n of notes) events.emit(n.event, n.key);
      },
    );
    this.db.instanceTag = randomBytes(8).toString('hex');
    this.listener = new PgListener({ connectionString: options.connectionString, channel: this.db.channel, ownTag: this.db.instanceTag, events, log });
    const ctx = { db: this.db, clock: options.clock };
    this.catalog = new PgCatalog(ctx);
    this.log = new PgLog(ctx);
    this.txns = new PgTransactions(ctx);
    this.consumption = new PgConsumption(ctx, { maxScanPerReceive: options.maxScanPerReceive ?? 1024 });
    this.membership = new PgMembership(ctx);
    this.auth = new PgAuth(ctx);
  }

  async open(): Promise<void> {
    if (this.state === 'open') return;
    if (this.state === 'closed') throw new BrokerError(Code.INTERNAL_ERROR, 'the PostgreSQL store was closed; open a new one');
    try {
      await this.db.open();
      await this.listener.start();
    } catch (err) {
      await this.listener.close();
      await this.db.close().catch(() => undefined);
      this.state = 'closed';
      const e = this.db.brokerError(err);
      // An unreachable database already names its address.
      const where = e.code === Code.HA_NOT_AVAILABLE ? '' : ` at ${describeTarget(this.db.options.connectionString)}`;
      throw new BrokerError(e.code, `cannot open the PostgreSQL store${where}: ${e.message}`, { cause: err });
    }
    this.state = 'open';
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.listener.close();
    await this.db.close();
  }

  // topics, groups, leases
  createTopic: PgCatalog['createTopic'] = (t) => this.catalog.createTopic(t);
  getTopic: PgCatalog['getTopic'] = (n) => this.catalog.getTopic(n);
  listTopics: PgCatalog['listTopics'] = () => this.catalog.listTopics();
  deleteTopic: PgCatalog['deleteTopic'] = (n) => this.catalog.deleteTopic(n);
  queueStats: PgCatalog['queueStats'] = (t) => this.catalog.queueStats(t);
  createGroup: PgCatalog['createGroup'] = (g) => this.catalog.createGroup(g);
  updateGroup: PgCatalog['updateGroup'] = (n, c) => this.catalog.updateGroup(n, c);
  getGroup: PgCatalog['getGroup'] = (n) => this.catalog.getGroup(n);
  listGroups: PgCatalog['listGroups'] = () => this.catalog.listGroups();
  tryLease: PgCatalog['tryLease'] = (n, h, ttl) => this.catalog.tryLease(n, h, ttl);
  releaseLease: PgCatalog['releaseLease'] = (n, h) => this.catalog.releaseLease(n, h);

  // logs and the DELAY schedule
  append: PgLog['append'] = (t, q, m) => this.log.append(t, q, m);
  read: PgLog['read'] = (t, q, from, max) => this.log.read(t, q, from, max);
  purgeQueue: PgLog['purgeQueue'] = (t, q, l) => this.log.purgeQueue(t, q, l);
  findMessages: PgLog['findMessages'] = (q) => this.log.findMessages(q);
  schedule: PgLog['schedule'] = (t, q, m) => this.log.schedule(t, q, m);
  promoteDueScheduled: PgLog['promoteDueScheduled'] = (l) => this.log.promoteDueScheduled(l);
  nextScheduledInMs: PgLog['nextScheduledInMs'] = () => this.log.nextScheduledInMs();

  // transactions
  putHalf: PgTransactions['putHalf'] = (h, ms) => this.txns.putHalf(h, ms);
  getHalf: PgTransactions['getHalf'] = (id) => this.txns.getHalf(id);
  getDecision: PgTransactions['getDecision'] = (id) => this.txns.getDecision(id);
  endTransaction: PgTransactions['endTransaction'] = (id, r, s, e, why, by) => this.txns.endTransaction(id, r, s, e, why, by);
  recordCheckAnswer: PgTransactions['recordCheckAnswer'] = (id, intervalMs) => this.txns.recordCheckAnswer(id, intervalMs);
  claimDueChecks: PgTransactions['claimDueChecks'] = (req) => this.txns.claimDueChecks(req);
  releaseCheck: PgTransactions['releaseCheck'] = (id) => this.txns.releaseCheck(id);
  abandonTransaction: PgTransactions['abandonTransaction'] = (id, why) => this.txns.abandonTransaction(id, why);
  rearmTransaction: PgTransactions['rearmTransaction'] = (id, ms) => this.txns.rearmTransaction(id, ms);
  nextCheckDueInMs: PgTransactions['nextCheckDueInMs'] = (g) => this.txns.nextCheckDueInMs(g);
  pendingProducerGroups: PgTransactions['pendingProducerGroups'] = () => this.txns.pendingProducerGroups();
  pendingTransactionCount: PgTransactions['pendingTransactionCount'] = (g) => this.txns.pendingTransactionCount(g);
  listTransactions: PgTransactions['listTransactions'] = (f) => this.txns.listTransactions(f);
  findDecisions: PgTransactions['findDecisions'] = (f) => this.txns.findDecisions(f);
  purgeDecisions: PgTransactions['purgeDecisions'] = (ms, l) => this.txns.purgeDecisions(ms, l);
  transactionCounters: PgTransactions['transactionCounters'] = () => this.txns.transactionCounters();

  // consumption
  receive: PgConsumption['receive'] = (req) => this.consumption.receive(req);
  ack: PgConsumption['ack'] = (g, t, h) => this.consumption.ack(g, t, h);
  ackMany: PgConsumption['ackMany'] = (g, t, h) => this.consumption.ackMany(g, t, h);
  changeInvisibleDuration: PgConsumption['changeInvisibleDuration'] = (g, t, h, ms, o) => this.consumption.changeInvisibleDuration(g, t, h, ms, o);
  renewInvisibility: PgConsumption['renewInvisibility'] = (g, t, h, ms) => this.consumption.renewInvisibility(g, t, h, ms);
  listAutoRenewed: PgConsumption['listAutoRenewed'] = (b) => this.consumption.listAutoRenewed(b);
  resetOffset: PgConsumption['resetOffset'] = (g, t, target) => this.consumption.resetOffset(g, t, target);
  forwardToDeadLetter: PgConsumption['forwardToDeadLetter'] = (g, t, h) => this.consumption.forwardToDeadLetter(g, t, h);
  nextRedeliveryInMs: PgConsumption['nextRedeliveryInMs'] = (g, t) => this.consumption.nextRedeliveryInMs(g, t);
  groupStats: PgConsumption['groupStats'] = (g) => this.consumption.groupStats(g);
  deliveryHistory: PgConsumption['deliveryHistory'] = (t, q, o) => this.consumption.deliveryHistory(t, q, o);

  /** Tables and indexes of the store's schema. */
  async sizeBytes(): Promise<number> {
    const [row] = await this.db.rows<{ bytes: number | null }>('schema_size');
    return row?.bytes ?? 0;
  }

  // membership of the brokers sharing the database
  heartbeatBroker: PgMembership['heartbeatBroker'] = (id, endpoint, ttl) => this.membership.heartbeatBroker(id, endpoint, ttl);
  liveBrokers: PgMembership['liveBrokers'] = () => this.membership.liveBrokers();
  leaveBroker: PgMembership['leaveBroker'] = (id) => this.membership.leaveBroker(id);

  // users and ACL rules
  putUser: PgAuth['putUser'] = (u, mode) => this.auth.putUser(u, mode);
  getUser: PgAuth['getUser'] = (n) => this.auth.getUser(n);
  listUsers: PgAuth['listUsers'] = () => this.auth.listUsers();
  deleteUser: PgAuth['deleteUser'] = (n) => this.auth.deleteUser(n);
  putRule: PgAuth['putRule'] = (r) => this.auth.putRule(r);
  deleteRule: PgAuth['deleteRule'] = (u, r) => this.auth.deleteRule(u, r);
  listRules: PgAuth['listRules'] = (u) => this.auth.listRules(u);
  authVersion: PgAuth['authVersion'] = () => this.auth.authVersion();
}
