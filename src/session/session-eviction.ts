// Owns forgetting idle client sessions: every sessionEvictCheckIntervalMs a PeriodicTask (no
// lease: the sessions are this broker's own) removes the sessions without a Telemetry stream
// that were not heard from for sessionEvictAfterMs. Never a session with a live stream, and never
// one whose push deliveries auto-renewal still tracks: auto-renewal decides from that session's
// last-seen time when to release a departed client's deliveries, so the session stays until
// they are released (or acked), and goes with the next sweep after that.
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { PeriodicTask } from '../runtime/periodic-task.js';
import type { Clock } from '../util/clock.js';
import type { SessionRegistry } from './session-registry.js';

export type SessionEvictionConfig = Pick<BrokerConfig, 'sessionEvictAfterMs' | 'sessionEvictCheckIntervalMs'>;

export interface SessionEvictionDeps {
  sessions: SessionRegistry;
  /** The clients whose sessions must stay (push deliveries still being renewed). */
  inUse: () => ReadonlySet<string>;
  config: SessionEvictionConfig;
  clock: Clock;
  log: Logger;
}

export class SessionEviction {
  private readonly task: PeriodicTask;

  constructor(private readonly deps: SessionEvictionDeps) {
    this.task = new PeriodicTask({
      name: 'session-eviction',
      clock: deps.clock,
      log: deps.log,
      intervalMs: deps.config.sessionEvictCheckIntervalMs,
      run: () => void this.sweep(),
    });
  }

  start(): void {
    this.task.start();
  }

  close(): Promise<void> {
    return this.task.close();
  }

  /** One sweep (the background task's pass; tests call it directly). Returns the evicted client ids. */
  sweep(): string[] {
    const { sessions, inUse, config, clock, log } = this.deps;
    const keep = inUse();
    const evicted = sessions.evictIdle(clock.now(), config.sessionEvictAfterMs, (clientId) => keep.has(clientId));
    if (evicted.length > 0) log.debug({ count: evicted.length, idleMs: config.sessionEvictAfterMs }, 'evicted idle client sessions');
    return evicted;
  }
}
