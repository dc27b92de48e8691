// Owns orphaned-transaction recovery: every tick it claims the due transactions of each
// producer group that has a live producer (cost ∝ due work, via the store's due-time index),
// pushes one check per transaction to the producer the store chose, and applies the policy to
// transactions whose budget is used up (a check count for gRPC, an age for MQ HTTP half
// messages). A check that cannot be delivered is released without using an attempt. A producer
// coming online triggers an immediate tick.
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { BudgetLimits, HalfMessage } from '../domain/transactions.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/** Producer groups swept at the same time in one tick. */
const GROUP_CONCURRENCY = 8;

export type CheckSchedulerConfig = Pick<
  BrokerConfig,
  | 'transactionCheckIntervalMs'
  | 'transactionCheckMax'
  | 'transactionCheckPolicy'
  | 'transactionCheckTickMs'
  | 'transactionCheckBatchSize'
  | 'transactionRestartJitterMs'
  | 'httpTransactionMaxAgeMs'
>;

export interface CheckSchedulerDeps {
  store: BrokerStore;
  sessions: SessionRegistry;
  config: CheckSchedulerConfig;
  clock: Clock;
  log: Logger;
  /** Random source in [0, 1) for restart jitter (injectable for tests). */
  random?: () => number;
}

export class CheckScheduler {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Set by close(): a tick in progress stops between producer groups. */
  private closing = false;
  private unsubscribe: (() => void) | undefined;
  /** Producer groups without a live producer are only examined for exhausted budgets this often. */
  private readonly idleSweepAt = new Map<string, number>();

  constructor(private readonly deps: CheckSchedulerDeps) {}

  /** The budgets of undecided transactions (see CheckBudget). */
  get budget(): BudgetLimits {
    return { checkMax: this.deps.config.transactionCheckMax, maxAgeMs: this.deps.config.httpTransactionMaxAgeMs };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.closing = false;
    this.unsubscribe = this.deps.sessions.onProducerAvailable(() => this.kick());
    // After a restart the first sweep waits a random share of the jitter window, and the
    // per-tick batch limit spreads the backlog: no check storm.
    const jitter = Math.floor((this.deps.random ?? Math.random)() * this.deps.config.transactionRestartJitterMs);
    this.schedule(jitter);
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.closing = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.unsubscribe?.();
    await this.running;
  }

  /** Runs a tick soon (e.g. a producer came online). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    this.timer?.cancel();
    this.timer = this.deps.clock.setTimer(() => {
      this.timer = undefined;
      this.running = this.tick()
        .catch((err: unknown) => this.deps.log.error({ err }, 'transaction check tick failed'))
        .finally(() => {
          this.running = undefined;
          if (this.stopped) return;
          const delay = this.again ? 0 : this.deps.config.transactionCheckTickMs;
          this.again = false;
          this.schedule(delay);
        });
    }, delayMs);
  }

  /**
   * One sweep over all producer groups with pending transactions, up to GROUP_CONCURRENCY groups
   * at a time (each group's claims run concurrently too). Exposed for tests.
   */
  async tick(): Promise<void> {
    const groups = await this.deps.store.pendingProducerGroups();
    for (let i = 0; i < groups.length && !this.closing; i += GROUP_CONCURRENCY) {
      await Promise.all(groups.slice(i, i + GROUP_CONCURRENCY).map((group) => this.sweep(group)));
    }
  }

  /** Claims one producer group's due checks and pushes them; settles exhausted ones. */
  private async sweep(group: string): Promise<void> {
    const { store, sessions, config, clock } = this.deps;
    const producers = sessions.liveProducers(group);
    const now = clock.now();
    if (producers.length === 0) {
      // Nobody to ask: no check is sent and no attempt is used. Only budgets already used
      // up are settled, and only once per interval.
      if ((this.idleSweepAt.get(group) ?? 0) > now) return;
      this.idleSweepAt.set(group, now + config.transactionCheckIntervalMs);
    }
    const { claimed, exhausted, quarantined } = await store.claimDueChecks({
      producerGroup: group,
      limit: config.transactionCheckBatchSize,
      nextCheckInMs: config.transactionCheckIntervalMs,
      budget: this.budget,
      targets: producers.map((p) => p.clientId),
    });
    for (const q of quarantined) {
      this.deps.log.error({ transactionId: q.transactionId, producerGroup: group }, `transaction quarantined, no longer checked: ${q.reason}`);
    }
    for (const half of claimed) await this.deliver(half);
    for (const { half, reason } of exhausted) await this.settle(half, reason);
  }

  private async deliver(half: HalfMessage): Promise<void> {
    const { sessions, store, log } = this.deps;
    const session = half.lastCheckClientId ? sessions.get(half.lastCheckClientId) : undefined;
    const sent = session?.sink?.sendTransactionCheck(half) ?? false;
    if (sent) {
      log.debug({ transactionId: half.transactionId, clientId: half.lastCheckClientId, check: half.checkCount }, 'transaction check sent');
      return;
    }
    // The stream went away between the claim and the push: give the attempt back.
    await store.releaseCheck(half.transactionId);
  }

  /**
   * Applies the policy (ROLLBACK, or KEEP for manual resolution) to an undecided transaction: the
   * topic's own, else the broker's. Public for the MQ HTTP gateway's pollers, which meet used-up
   * budgets too.
   */
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
      log.warn({ transactionId: half.transactionId, topic: half.message.topic }, `transaction rolled back by policy: ${reason}`);
    }
  }
}
