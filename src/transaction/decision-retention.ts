// Owns the retention of transaction decisions (the audit trail behind tx describe and
// tx list --key): every decisionRetentionCheckIntervalMs a PeriodicTask under a store lease (one
// broker of a cluster at a time) deletes the decisions made decisionRetentionMs or longer ago,
// oldest first, in batches with a yield in between so that sends and receives keep flowing.
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { clusterTask, yieldToIo, type PeriodicTask } from '../runtime/periodic-task.js';
import type { LeaseStore, TransactionStore } from '../store/broker-store.js';
import type { Clock } from '../util/clock.js';

export type DecisionRetentionConfig = Pick<BrokerConfig, 'decisionRetentionMs' | 'decisionRetentionCheckIntervalMs' | 'sweepLeaseGraceMs'>;

export interface DecisionRetentionDeps {
  store: Pick<TransactionStore, 'purgeDecisions'> & LeaseStore;
  config: DecisionRetentionConfig;
  clock: Clock;
  log: Logger;
  /** This broker: the lease holder while it sweeps. */
  brokerId: string;
  /** Decisions deleted per store call (default 1000). */
  batchSize?: number;
}

const TASK = 'decision-retention';

export class DecisionRetention {
  private readonly task: PeriodicTask;

  constructor(private readonly deps: DecisionRetentionDeps) {
    const { store, config, clock, log, brokerId } = deps;
    this.task = clusterTask({
      name: TASK,
      store,
      brokerId,
      graceMs: config.sweepLeaseGraceMs,
      clock,
      log,
      intervalMs: config.decisionRetentionCheckIntervalMs,
      run: async (signal) => {
        await this.sweep(signal);
      },
    });
  }

  start(): void {
    this.task.start();
  }

  close(): Promise<void> {
    return this.task.close();
  }

  /**
   * One sweep (the background task's pass; tests call it directly); stops between batches once
   * `signal` aborts. Returns how many decisions were deleted.
   */
  async sweep(signal?: AbortSignal): Promise<number> {
    const { store, config, log } = this.deps;
    const batch = this.deps.batchSize ?? 1000;
    let deleted = 0;
    for (;;) {
      const result = await store.purgeDecisions(config.decisionRetentionMs, batch);
      deleted += result.deleted;
      if (!result.more || signal?.aborted) break;
      await yieldToIo();
    }
    if (deleted > 0) log.info({ deleted, retentionMs: config.decisionRetentionMs }, 'decision retention deleted old transaction decisions');
    return deleted;
  }
}
