// Owns DELAY delivery: moves scheduled messages into their topics' logs when due, so that
// consumers see them no earlier than their delivery time and within one poll period after. A
// PeriodicTask under a store lease (one broker of a cluster promotes at a time); each pass
// sleeps until the earliest due message, at most delayPollMs, and a failing pass is retried at
// that interval like any other (it never stops DELAY delivery).
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { clusterTask, type PeriodicTask } from '../runtime/periodic-task.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { Clock } from '../util/clock.js';

export type DelayConfig = Pick<BrokerConfig, 'delayPollMs' | 'sweepLeaseGraceMs'>;

export interface DelayServiceDeps {
  store: BrokerStore;
  config: DelayConfig;
  clock: Clock;
  log: Logger;
  /** This broker: the lease holder while it promotes. */
  brokerId: string;
}

/** Messages promoted per store call. */
const BATCH = 1000;
const TASK = 'delay-promotion';

export class DelayService {
  private readonly task: PeriodicTask;

  constructor(private readonly deps: DelayServiceDeps) {
    const { store, config, clock, log, brokerId } = deps;
    this.task = clusterTask({
      name: TASK,
      store,
      brokerId,
      graceMs: config.sweepLeaseGraceMs,
      clock,
      log,
      intervalMs: config.delayPollMs,
      initialDelayMs: 0,
      run: (signal) => this.promote(signal),
    });
  }

  /** Starts promoting (a first look at once: messages that came due while the broker was down). */
  start(): void {
    this.task.start();
  }

  close(): Promise<void> {
    return this.task.close();
  }

  /** A message was scheduled: look again by its delivery time. */
  scheduled(deliverAtMs: number): void {
    this.task.kick(deliverAtMs - this.deps.clock.now());
  }

  /** One pass: promotes due messages while full batches come out; returns the time until the next one is due. */
  private async promote(signal: AbortSignal): Promise<number | undefined> {
    const { store } = this.deps;
    while (!signal.aborted && (await store.promoteDueScheduled(BATCH)) === BATCH) {
      // keep going while full batches come out
    }
    return store.nextScheduledInMs();
  }
}
