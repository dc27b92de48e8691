// Owns orphaned-transaction recovery: every tick it claims the due transactions of each
// producer group that has a live producer (cost ∝ due work, via the store's due-time index),
// pushes one check per transaction to the producer the store chose, and applies the policy to
// transactions whose budget is used up (a check count for gRPC, an age for MQ HTTP half
// messages). Candidates are ranked by how they answered before (session CheckStats: demoted when
// they let checks time out); a check unanswered for transactionCheckAnswerTimeoutMs goes to
// another live producer before the interval, and answered and unanswered checks are budgeted
// apart (transactionCheckMax, transactionCheckTimeoutMax). A backlog (after a restart or an
// outage) goes out in batches of transactionCheckBatchSize, pass after pass without waiting for
// the tick, at most transactionCheckMaxPerSecond per producer group and no faster than the
// producers read their streams (a producer that is behind is no candidate); silence from the only live producer,
// or from one that answers checks, is an UNKNOWN (the official clients send nothing for it). A check that cannot be delivered is
// released without using an attempt. A producer
// coming online ('producerAvailable' on the event bus) triggers an immediate tick. Ticks run as a
// PeriodicTask without a lease: each broker checks through its own live producers, and the
// store's claims are atomic, so brokers sharing a store never check a transaction twice at once.
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { ClientSession, SessionRegistry } from '../session/session-registry.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { BudgetLimits, HalfMessage, Resolution } from '../domain/transactions.js';
import { PeriodicTask } from '../runtime/periodic-task.js';
import type { Clock } from '../util/clock.js';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';

/** How long after it came due a claimed transaction's check went out (metrics). */
function lateBy(half: HalfMessage): number | undefined {
  return half.lastCheckAtMs !== undefined && half.lastCheckDueAtMs !== undefined ? half.lastCheckAtMs - half.lastCheckDueAtMs : undefined;
}

/** Producer groups swept at the same time in one tick. */
const GROUP_CONCURRENCY = 8;

export type CheckSchedulerConfig = Pick<
  BrokerConfig,
  | 'transactionCheckIntervalMs'
  | 'transactionCheckMax'
  | 'transactionCheckAnswerTimeoutMs'
  | 'transactionCheckTimeoutMax'
  | 'transactionCheckPolicy'
  | 'transactionCheckTickMs'
  | 'transactionCheckBatchSize'
  | 'transactionCheckMaxPerSecond'
  | 'transactionRestartJitterMs'
  | 'httpTransactionMaxAgeMs'
  | 'httpHalfCheckIntervalMs'
>;

export interface CheckSchedulerDeps {
  store: BrokerStore;
  sessions: SessionRegistry;
  config: CheckSchedulerConfig;
  clock: Clock;
  log: Logger;
  /** Random source in [0, 1) for restart jitter (injectable for tests). */
  random?: () => number;
  /** Counts checks (sent, undeliverable, how late) and policy decisions. */
  metrics?: BrokerMetrics;
  /** Whether a live producer may be sent a check of the topic (auth: its user has Pub); default yes. */
  mayCheck?: (producer: ClientSession, topic: string) => boolean;
}

export class CheckScheduler {
  private readonly task: PeriodicTask;
  private unsubscribe: (() => void) | undefined;
  /** Producer groups without a live producer are only examined for exhausted budgets this often. */
  private readonly idleSweepAt = new Map<string, number>();
  /** Per producer group: checks it may still be sent now (transactionCheckMaxPerSecond, a token bucket). */
  private readonly allowance = new Map<string, { tokens: number; atMs: number }>();

  constructor(private readonly deps: CheckSchedulerDeps) {
    const { config, clock, log } = deps;
    this.task = new PeriodicTask({
      name: 'transaction-check',
      clock,
      log,
      intervalMs: config.transactionCheckTickMs,
      // After a restart the first sweep waits a random share of the jitter window, and the
      // per-tick batch limit spreads the backlog: no check storm.
      initialDelayMs: Math.floor((deps.random ?? Math.random)() * config.transactionRestartJitterMs),
      run: (signal) => this.tick(signal),
    });
  }

  /** The budgets of undecided transactions (see CheckBudget). */
  get budget(): BudgetLimits {
    const { config } = this.deps;
    return { checkMax: config.transactionCheckMax, maxAgeMs: config.httpTransactionMaxAgeMs, timeoutMax: config.transactionCheckTimeoutMax };
  }

  /** Starts the ticks (the first after the restart jitter) and listens for producers coming online. */
  start(): void {
    this.unsubscribe ??= this.deps.store.events.onAny('producerAvailable', () => this.task.kick());
    this.task.start();
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.task.close();
  }

  /** Runs a tick soon (e.g. a producer came online, an admin re-armed a transaction). */
  kick(): void {
    this.task.kick();
  }

  /**
   * One sweep over all producer groups with pending transactions, up to GROUP_CONCURRENCY groups
   * at a time (each group's claims run concurrently too); stops between groups once `signal`
   * aborts. Returns 0 when a group had more due than one batch (the next pass follows at once),
   * the wait for its rate allowance when that ran out, else undefined (the next tick).
   * Exposed for tests.
   */
  async tick(signal?: AbortSignal): Promise<number | undefined> {
    for (const clientId of this.deps.sessions.checkStats.expire(this.deps.clock.now())) {
      this.deps.log.debug({ clientId }, 'transaction check unanswered in time: producer demoted');
    }
    const groups = await this.deps.store.pendingProducerGroups();
    let again: number | undefined;
    for (let i = 0; i < groups.length && !signal?.aborted; i += GROUP_CONCURRENCY) {
      const waits = await Promise.all(groups.slice(i, i + GROUP_CONCURRENCY).map((group) => this.sweep(group)));
      for (const w of waits) if (w !== undefined) again = Math.min(again ?? w, w);
    }
    return again;
  }

  /** How many checks `group` may be sent now, and how long until one more batch is allowed. */
  private allowed(group: string, now: number): { limit: number; refillMs: number } {
    const { transactionCheckBatchSize: batch, transactionCheckMaxPerSecond: rate, transactionCheckTickMs: tickMs } = this.deps.config;
    // A burst of one tick's worth at most (and at least one batch), refilled continuously.
    const burst = Math.max(batch, (rate * tickMs) / 1000);
    const a = this.allowance.get(group) ?? { tokens: burst, atMs: now };
    a.tokens = Math.min(burst, a.tokens + ((now - a.atMs) * rate) / 1000);
    a.atMs = now;
    this.allowance.set(group, a);
    return { limit: Math.min(batch, Math.floor(a.tokens)), refillMs: this.refillMs(a.tokens) };
  }

  /** Time until a group with `tokens` left may be sent a whole batch again. */
  private refillMs(tokens: number): number {
    const { transactionCheckBatchSize: batch, transactionCheckMaxPerSecond: rate } = this.deps.config;
    return Math.max(1, Math.ceil(((batch - tokens) * 1000) / rate));
  }

  /**
   * Claims one producer group's due checks and pushes them; settles exhausted ones. Returns when
   * the group wants the next pass (see tick), or undefined.
   */
  private async sweep(group: string): Promise<number | undefined> {
    const { store, sessions, config, clock } = this.deps;
    // With auth on, only producers whose user has Pub on the topic (the group) may be asked.
    const producers = sessions.liveProducers(group).filter((p) => this.deps.mayCheck?.(p, group) ?? true);
    const targets = producers.map((p) => p.clientId);
    const now = clock.now();
    let limit = config.transactionCheckBatchSize;
    if (producers.length === 0) {
      // Nobody to ask: no check is sent and no attempt is used. Only budgets already used
      // up are settled, and only once per interval.
      if ((this.idleSweepAt.get(group) ?? 0) > now) return undefined;
      this.idleSweepAt.set(group, now + config.transactionCheckIntervalMs);
    } else {
      const allowed = this.allowed(group, now);
      if (allowed.limit === 0) return allowed.refillMs;
      limit = allowed.limit;
    }
    const { claimed, exhausted, quarantined } = await store.claimDueChecks({
      producerGroup: group,
      limit,
      nextCheckInMs: config.transactionCheckIntervalMs,
      budget: this.budget,
      targets,
      ranks: sessions.checkStats.ranks(targets),
      answering: targets.filter((id) => (sessions.checkStats.get(id)?.answered ?? 0) > 0),
      answerTimeoutMs: config.transactionCheckAnswerTimeoutMs,
    });
    for (const q of quarantined) {
      this.deps.log.error({ transactionId: q.transactionId, producerGroup: group }, `transaction quarantined, no longer checked: ${q.reason}`);
    }
    for (const half of claimed) await this.deliver(half);
    for (const { half, reason } of exhausted) await this.settle(half, reason);
    if (producers.length === 0) return undefined;
    const a = this.allowance.get(group)!;
    a.tokens = Math.max(0, a.tokens - claimed.length);
    // A full batch: more are probably due. The next pass runs at once while the allowance lasts.
    const handled = claimed.length + exhausted.length + quarantined.length;
    if (handled < limit) return undefined;
    return a.tokens >= 1 ? 0 : this.refillMs(a.tokens);
  }

  private async deliver(half: HalfMessage): Promise<void> {
    const { sessions, store, log, clock, config } = this.deps;
    const session = half.lastCheckClientId ? sessions.get(half.lastCheckClientId) : undefined;
    const sent = session?.sink?.sendTransactionCheck(half) ?? false;
    if (sent) {
      this.deps.metrics?.check('sent', lateBy(half));
      // A check whose silence is a timeout counts against its producer's rank if unanswered in time.
      if (!half.silenceIsUnknown) sessions.checkStats.sent(session!.clientId, half.transactionId, clock.now(), config.transactionCheckAnswerTimeoutMs);
      log.debug({ transactionId: half.transactionId, clientId: half.lastCheckClientId, check: half.checkCount }, 'transaction check sent');
      return;
    }
    // The stream went away between the claim and the push: give the attempt back.
    this.deps.metrics?.check('undeliverable');
    await store.releaseCheck(half.transactionId);
  }

  /**
   * A producer's answer to a check (EndTransaction with source SERVER_CHECK, on any connection):
   * counts for its rank; an UNKNOWN answer (`resolution` undefined) is recorded so that the
   * transaction is checked again one interval after the check, not re-sent as unanswered.
   */
  async answered(transactionId: string, clientId: string, resolution?: Resolution): Promise<void> {
    const { sessions, store, clock, config } = this.deps;
    // Only clients with a session are ranked: answers under made-up client ids add nothing.
    if (sessions.get(clientId)) sessions.checkStats.answered(clientId, transactionId, clock.now());
    if (resolution === undefined) {
      await store.recordCheckAnswer(transactionId, config.transactionCheckIntervalMs);
      this.deps.metrics?.check('answered'); // decisions count theirs in TransactionService
    }
  }

  /**
   * A poller's check (MQ HTTP consumeHalfMessage): claims up to `limit` due transactions of the
   * producer group for `pollerId`, due again httpHalfCheckIntervalMs later, and applies the
   * policy to those whose budget is used up. Returns the claimed ones to offer.
   */
  async claimForPoller(producerGroup: string, pollerId: string, limit: number): Promise<HalfMessage[]> {
    const { claimed, exhausted } = await this.deps.store.claimDueChecks({
      producerGroup,
      limit,
      nextCheckInMs: this.deps.config.httpHalfCheckIntervalMs,
      budget: this.budget,
      targets: [pollerId],
    });
    for (const half of claimed) this.deps.metrics?.check('sent', lateBy(half));
    for (const { half, reason } of exhausted) await this.settle(half, reason);
    return claimed;
  }

  /** How long until the producer group's next transaction is due for a check, if it has any. */
  nextDueInMs(producerGroup: string): Promise<number | undefined> {
    return this.deps.store.nextCheckDueInMs(producerGroup);
  }

  /** Applies the policy (ROLLBACK, or KEEP for manual resolution) to an undecided transaction: the topic's own, else the broker's. */
  async settle(half: HalfMessage, reason: string): Promise<void> {
    const { store, config, log } = this.deps;
    const policy = (await store.getTopic(half.message.topic))?.checkPolicy ?? config.transactionCheckPolicy;
    if (policy === 'KEEP') {
      if (await store.abandonTransaction(half.transactionId, reason)) {
        log.warn({ transactionId: half.transactionId, topic: half.message.topic }, `transaction abandoned, kept for manual resolution: ${reason}`);
      }
      return;
    }
    const result = await store.endTransaction(half.transactionId, 'ROLLBACK', 'POLICY', undefined, reason);
    if (result.kind === 'applied') {
      this.deps.metrics?.decided(result.decision);
      log.warn({ transactionId: half.transactionId, topic: half.message.topic }, `transaction rolled back by policy: ${reason}`);
    }
  }
}
