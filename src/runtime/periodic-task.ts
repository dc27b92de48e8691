// Owns the one way the broker runs background work: a named pass that runs every intervalMs
// (sooner when a pass asks for it or someone kicks the task), never two passes at a time. Work
// that must run once per cluster takes a store lease before each pass and skips the pass while
// another broker holds it. One error policy for every task: a failing pass (thrown, rejected,
// or a failing lease call) is logged with the task name and counted, and the next pass runs at
// the interval as usual — a failure never stops the task.
import type { Logger } from '../logger.js';
import type { LeaseStore } from '../store/broker-store.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export interface TaskLease {
  store: LeaseStore;
  /** The lease name, shared by every broker running this task (usually the task name). */
  name: string;
  /** This broker's id. */
  holder: string;
  /** The lease lasts this long from each pass's renewal; after that another broker may take it over. */
  ttlMs: number;
}

/**
 * One pass. It may return how soon the next pass should run (capped by intervalMs). `signal`
 * aborts when the task closes: a long pass should stop at its next step.
 */
export type PassFunction = (signal: AbortSignal) => Promise<number | undefined | void> | number | undefined | void;

export interface PeriodicTaskOptions {
  /** Names the task in logs (and is a good lease name). */
  name: string;
  clock: Clock;
  log: Logger;
  /** Longest time between the end of one pass and the start of the next. */
  intervalMs: number;
  /** Delay of the first pass after start() (default intervalMs), e.g. restart jitter. */
  initialDelayMs?: number;
  run: PassFunction;
  /** Run a pass only while this broker holds the lease. */
  lease?: TaskLease;
}

/** A task that runs once per cluster: under the lease named after it, held for its interval plus `graceMs`. */
export interface ClusterTaskOptions extends Omit<PeriodicTaskOptions, 'lease'> {
  store: LeaseStore;
  /** This broker's id, the lease holder. */
  brokerId: string;
  /** How long after this broker stops renewing (a crash) another broker takes the task over. */
  graceMs: number;
}

/** A PeriodicTask that one broker of a cluster runs at a time (see ClusterTaskOptions). */
export function clusterTask({ store, brokerId, graceMs, ...options }: ClusterTaskOptions): PeriodicTask {
  return new PeriodicTask({ ...options, lease: { store, name: options.name, holder: brokerId, ttlMs: options.intervalMs + graceMs } });
}

/** Lets queued I/O (sends, receives) in between the batches of a long pass. */
export function yieldToIo(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** What one pass did. */
export type PassOutcome = 'ran' | 'failed' | 'not-leased' | 'closed';

export class PeriodicTask {
  private timer: TimerHandle | undefined;
  private timerAtMs = Infinity;
  private running: Promise<PassOutcome> | undefined;
  /** Set by a kick during a pass: the next pass starts no later than this. */
  private againAtMs = Infinity;
  private started = false;
  private readonly abort = new AbortController();
  private closed: Promise<void> | undefined;
  private failures = 0;
  private holdsLease = false;

  constructor(private readonly options: PeriodicTaskOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** Passes that failed in a row (0 after a pass that ran). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** close() was called. */
  get closing(): boolean {
    return this.abort.signal.aborted;
  }

  /** Arms the first pass (initialDelayMs from now). No-op when started or closed. */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.arm(this.options.initialDelayMs ?? this.options.intervalMs);
  }

  /**
   * Runs a pass within `withinMs` (default: soon). During a pass, another one follows it (at
   * once, or by then). No-op unless started.
   */
  kick(withinMs = 0): void {
    if (!this.started || this.closing) return;
    const delay = Math.max(0, withinMs);
    const at = this.options.clock.now() + delay;
    if (this.running) this.againAtMs = Math.min(this.againAtMs, at);
    else if (at < this.timerAtMs) this.arm(delay);
  }

  /** Runs one pass now (after the one in progress, if any) and resolves with its outcome. */
  async tick(): Promise<PassOutcome> {
    while (this.running) await this.running;
    if (this.closing) return 'closed';
    return this.pass();
  }

  /** Stops the timer, waits for the pass in progress and gives the lease up. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAtMs = Infinity;
    while (this.running) await this.running;
    const { lease, log, name } = this.options;
    if (!lease || !this.holdsLease) return;
    this.holdsLease = false;
    try {
      await lease.store.releaseLease(lease.name, lease.holder);
    } catch (err) {
      log.warn({ err, task: name }, `${name}: could not release the lease`);
    }
  }

  private arm(delayMs: number): void {
    this.timer?.cancel();
    this.timerAtMs = this.options.clock.now() + delayMs;
    this.timer = this.options.clock.setTimer(() => {
      this.timer = undefined;
      this.timerAtMs = Infinity;
      // A pass in progress (a tick() call) re-arms the timer when it ends.
      if (!this.closing && !this.running) void this.pass();
    }, delayMs);
  }

  private pass(): Promise<PassOutcome> {
    const running = this.execute().then(({ outcome, nextInMs }) => {
      this.running = undefined;
      this.rearm(nextInMs);
      return outcome;
    });
    this.running = running;
    return running;
  }

  private async execute(): Promise<{ outcome: PassOutcome; nextInMs: number }> {
    const { lease, intervalMs, log, name } = this.options;
    try {
      if (lease) {
        this.holdsLease = await lease.store.tryLease(lease.name, lease.holder, lease.ttlMs);
        if (!this.holdsLease) return { outcome: 'not-leased', nextInMs: intervalMs };
      }
      const requested = await this.options.run(this.abort.signal);
      this.failures = 0;
      return { outcome: 'ran', nextInMs: typeof requested === 'number' && !Number.isNaN(requested) ? requested : intervalMs };
    } catch (err) {
      this.failures++;
      log.error({ err, task: name, consecutiveFailures: this.failures }, `${name}: pass failed, next pass in ${intervalMs} ms`);
      return { outcome: 'failed', nextInMs: intervalMs };
    }
  }

  private rearm(nextInMs: number): void {
    if (!this.started || this.closing) return;
    const again = this.againAtMs - this.options.clock.now();
    this.againAtMs = Infinity;
    this.arm(Math.max(0, Math.min(nextInMs, this.options.intervalMs, again)));
  }
}
