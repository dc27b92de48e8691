// Owns message retention: every retentionCheckIntervalMs a background sweep deletes, per topic
// queue, the oldest messages stored retentionMs or longer ago, and the oldest beyond
// retentionBytes (0 = no size limit) — consumed or not, as RocketMQ does. Deletion goes in small
// batches with a yield in between, so sends (which never wait for it) keep flowing; consumer
// groups behind the new first offset move up to it (the store does that with each batch).
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export type RetentionConfig = Pick<BrokerConfig, 'retentionMs' | 'retentionBytes' | 'retentionCheckIntervalMs'>;

export interface RetentionDeps {
  store: BrokerStore;
  config: RetentionConfig;
  clock: Clock;
  log: Logger;
  /** Messages deleted per store call (default 1000). */
  batchSize?: number;
}

export class RetentionService {
  private timer: TimerHandle | undefined;
  private running: Promise<number> | undefined;
  private stopped = true;
  private closing = false;

  constructor(private readonly deps: RetentionDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.arm();
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.closing = true;
    this.timer?.cancel();
    await this.running?.catch(() => undefined);
  }

  /** One sweep over every topic queue; returns how many messages were deleted. */
  sweep(): Promise<number> {
    if (!this.running) {
      this.running = this.sweepAll().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async sweepAll(): Promise<number> {
    const { store, config, log } = this.deps;
    const batch = this.deps.batchSize ?? 1000;
    let total = 0;
    for (const topic of await store.listTopics()) {
      for (let queueId = 0; queueId < topic.queueCount; queueId++) {
        let deleted = 0;
        let minOffset = 0;
        for (;;) {
          if (this.closing) return total + deleted;
          const result = await store.purgeQueue(topic.name, queueId, {
            olderThanMs: config.retentionMs,
            ...(config.retentionBytes > 0 ? { maxBytes: config.retentionBytes } : {}),
            maxMessages: batch,
          });
          deleted += result.deleted;
          minOffset = result.minOffset;
          if (!result.more) break;
          await new Promise<void>((resolve) => setImmediate(resolve)); // let sends and receives in
        }
        if (deleted > 0) log.info({ topic: topic.name, queueId, deleted, minOffset }, 'retention deleted old messages');
        total += deleted;
      }
    }
    return total;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(() => {
      this.sweep()
        .catch((err: unknown) => this.deps.log.error({ err }, 'retention sweep failed'))
        .finally(() => this.arm());
    }, this.deps.config.retentionCheckIntervalMs);
  }
}
