// Owns the web console's rate chart data: a PeriodicTask that every consoleSampleIntervalMs adds
// up messages in (the next offset of every topic queue), messages out (every group's consumed
// offset) and transaction checks sent, and keeps the last TRAFFIC_SAMPLES samples in memory. Rates
// are the differences between neighbouring samples. Totals come from the store through the
// services, so on a shared store (PostgreSQL) they are the cluster's.
import type { QueueStats } from '../../domain/topics.js';
import { BrokerError, Code } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { PeriodicTask } from '../../runtime/periodic-task.js';
import type { ServiceContext } from '../../services.js';

/** Samples kept: 6 minutes at the default 10 s interval. */
export const TRAFFIC_SAMPLES = 36;

interface Totals {
  atMs: number;
  messagesIn: number;
  messagesOut: number;
  checksSent: number;
}

export interface TrafficRate {
  /** End of the interval. */
  atMs: number;
  inPerSec: number;
  outPerSec: number;
  checksPerSec: number;
}

/** A topic's queues, or none when it was deleted since it was listed. */
export async function queuesOf(topics: ServiceContext['topics'], name: string): Promise<QueueStats[]> {
  try {
    return (await topics.describe(name)).queues;
  } catch (err) {
    if (err instanceof BrokerError && err.code === Code.TOPIC_NOT_FOUND) return [];
    throw err;
  }
}

export class TrafficSampler {
  private readonly samples: Totals[] = [];
  private readonly task: PeriodicTask;

  constructor(private readonly svc: Pick<ServiceContext, 'topics' | 'groups' | 'transactions' | 'clock' | 'config'> & { log: Logger }) {
    this.task = new PeriodicTask({
      name: 'console-traffic',
      clock: svc.clock,
      log: svc.log,
      intervalMs: svc.config.consoleSampleIntervalMs,
      initialDelayMs: 0,
      run: () => this.sample(),
    });
  }

  start(): void {
    this.task.start();
  }

  close(): Promise<void> {
    return this.task.close();
  }

  get intervalMs(): number {
    return this.svc.config.consoleSampleIntervalMs;
  }

  /** Per-second rates between neighbouring samples, oldest first (a counter that went down counts 0). */
  rates(): TrafficRate[] {
    const out: TrafficRate[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1]!;
      const b = this.samples[i]!;
      const secs = Math.max(1, b.atMs - a.atMs) / 1000;
      const per = (x: number, y: number): number => Math.max(0, y - x) / secs;
      out.push({ atMs: b.atMs, inPerSec: per(a.messagesIn, b.messagesIn), outPerSec: per(a.messagesOut, b.messagesOut), checksPerSec: per(a.checksSent, b.checksSent) });
    }
    return out;
  }

  private async sample(): Promise<void> {
    const { topics, groups, transactions, clock } = this.svc;
    let messagesIn = 0;
    for (const topic of await topics.list()) {
      for (const q of await queuesOf(topics, topic.name)) messagesIn += q.maxOffset;
    }
    let messagesOut = 0;
    for (const group of await groups.list()) {
      for (const p of (await groups.describe(group.name)).progress) messagesOut += p.consumedOffset;
    }
    const { checksSent } = await transactions.counters();
    this.samples.push({ atMs: clock.now(), messagesIn, messagesOut, checksSent });
    if (this.samples.length > TRAFFIC_SAMPLES + 1) this.samples.shift();
  }
}
