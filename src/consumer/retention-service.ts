// Owns message retention: every retentionCheckIntervalMs a background sweep deletes, per topic
// queue, the oldest messages stored retentionMs or longer ago, and the oldest beyond
// retentionBytes (0 = no size limit) — consumed or not, as RocketMQ does. Deletion goes in small
// batches with a yield in between, so sends (which never wait for it) keep flowing; consumer
// groups behind the new first offset move up to it (the store does that with each batch). The
// sweep is a PeriodicTask under a store lease: one broker of a cluster sweeps at a time.
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { clusterTask, yieldToIo, type PeriodicTask } from '../runtime/periodic-task.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { Clock } from '../util/clock.js';

export type RetentionConfig = Pick<BrokerConfig, 'retentionMs' | 'retentionBytes' | 'retentionCheckIntervalMs' | 'sweepLeaseGraceMs'>;

export interface RetentionDeps {
  store: BrokerStore;
  config: RetentionConfig;
  clock: Clock;
  log: Logger;
  /** This broker: the lease holder while it sweeps. */
  brokerId: string;
  /** Messages deleted per store call (default 1000). */
  batchSize?: number;
}

const TASK = 'message-retention';

export class RetentionService {
  private readonly task: PeriodicTask;

  constructor(private readonly deps: RetentionDeps) {
    const { store, config, clock, log, brokerId } = deps;
    this.task = clusterTask({
      name: TASK,
      store,
      brokerId,
      graceMs: config.sweepLeaseGraceMs,
      clock,
      log,
      intervalMs: config.retentionCheckIntervalMs,
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
   * One sweep over every topic queue (the background task's pass; tests call it directly);
   * stops between batches once `signal` aborts. Returns how many messages were deleted.
   */
  async sweep(signal?: AbortSignal): Promise<number> {
    const { store, config, log } = this.deps;
    const batch = this.deps.batchSize ?? 1000;
    let total = 0;
    for (const topic of await store.listTopics()) {
      for (let queueId = 0; queueId < topic.queueCount; queueId++) {
        let deleted = 0;
        let minOffset: number;
        for (;;) {
          if (signal?.aborted) return total + deleted;
          const result = await store.purgeQueue(topic.name, queueId, {
            olderThanMs: config.retentionMs,
            ...(config.retentionBytes > 0 ? { maxBytes: config.retentionBytes } : {}),
            maxMessages: batch,
          });
          deleted += result.deleted;
          minOffset = result.minOffset;
          if (!result.more) break;
          await yieldToIo();
        }
        if (deleted > 0) log.info({ topic: topic.name, queueId, deleted, minOffset }, 'retention deleted old messages');
        total += deleted;
      }
    }
    return total;
  }
}
