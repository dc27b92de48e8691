// Owns DELAY delivery: moves scheduled messages into their topics' logs when due, so that
// consumers see them no earlier than their delivery time and within one poll period after.
import type { Logger } from '../logger.js';
import type { BrokerStore } from '../store/broker-store.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export interface DelayServiceDeps {
  store: BrokerStore;
  clock: Clock;
  log: Logger;
  /** Longest sleep between looks (new schedules are picked up within it). */
  pollMs?: number;
}

const BATCH = 1000;

export class DelayService {
  private timer: TimerHandle | undefined;
  private stopped = true;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: DelayServiceDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.arm(0);
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  /** A message was scheduled: look again by its delivery time. */
  scheduled(deliverAtMs: number): void {
    if (this.stopped || this.running) return;
    const delay = deliverAtMs - this.deps.clock.now();
    if (delay < (this.deps.pollMs ?? 200)) this.arm(Math.max(0, delay));
  }

  private arm(delayMs: number): void {
    this.timer?.cancel();
    this.timer = this.deps.clock.setTimer(() => {
      this.running = this.promote()
        .then(() => this.deps.store.nextScheduledInMs())
        .catch((err: unknown) => {
          this.deps.log.error({ err }, 'delivering delayed messages failed');
          return undefined;
        })
        .then((next) => {
          this.running = undefined;
          if (this.stopped) return;
          const poll = this.deps.pollMs ?? 200;
          this.arm(next === undefined ? poll : Math.min(poll, next));
        });
    }, delayMs);
  }

  private async promote(): Promise<void> {
    while (!this.stopped && (await this.deps.store.promoteDueScheduled(BATCH)) === BATCH) {
      // keep going while full batches come out
    }
  }
}
