// Owns this broker's registration in the store's membership: a PeriodicTask (no lease: each
// broker renews its own row) that every brokerHeartbeatIntervalMs renews this broker's
// advertised endpoint for brokerTtlMs and then reads the live brokers, which routes list (see
// ClusterService). The first heartbeat runs before the broker reports itself started; closing
// leaves the membership at once. A broker that dies stops renewing and drops out brokerTtlMs
// after its last heartbeat. A failing heartbeat (database unreachable) is logged, and routes
// keep the brokers last read until the store answers again.
import { networkInterfaces } from 'node:os';
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { PeriodicTask } from '../runtime/periodic-task.js';
import type { LiveBroker, MembershipStore } from '../store/broker-store.js';
import type { Clock } from '../util/clock.js';

export type MembershipConfig = Pick<BrokerConfig, 'brokerHeartbeatIntervalMs' | 'brokerTtlMs'>;

export interface MembershipDeps {
  store: MembershipStore;
  brokerId: string;
  /** host:port other brokers' routes advertise for this one (known once the server is bound). */
  endpoint: () => string;
  config: MembershipConfig;
  clock: Clock;
  log: Logger;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/**
 * The host other brokers advertise for this one: advertisedHost, else the bound host unless it is
 * a wildcard, else this machine's first non-internal IPv4 address (127.0.0.1 if it has none).
 */
export function advertisedHostOf(config: Pick<BrokerConfig, 'advertisedHost' | 'host'>): string {
  if (config.advertisedHost) return config.advertisedHost;
  if (!WILDCARD_HOSTS.has(config.host)) return config.host;
  for (const addresses of Object.values(networkInterfaces())) {
    const v4 = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return '127.0.0.1';
}

export class BrokerMembership {
  private readonly task: PeriodicTask;
  private current: readonly LiveBroker[] = [];

  constructor(private readonly deps: MembershipDeps) {
    this.task = new PeriodicTask({
      name: 'broker-heartbeat',
      clock: deps.clock,
      log: deps.log,
      intervalMs: deps.config.brokerHeartbeatIntervalMs,
      run: async () => {
        await this.beat();
      },
    });
  }

  /** The live brokers as last read (this broker included once its first heartbeat succeeded). */
  live(): readonly LiveBroker[] {
    return this.current;
  }

  /** Heartbeats once (a failure is logged, not thrown), then every interval. */
  async start(): Promise<void> {
    try {
      await this.beat();
    } catch (err) {
      this.deps.log.warn({ err }, 'the first broker heartbeat failed; retrying every brokerHeartbeatIntervalMs');
    }
    this.task.start();
  }

  /** Stops heartbeating and leaves the membership (a failure to leave is logged: the TTL ends it). */
  async close(): Promise<void> {
    await this.task.close();
    try {
      await this.deps.store.leaveBroker(this.deps.brokerId);
    } catch (err) {
      this.deps.log.warn({ err }, 'could not leave the broker membership; this broker drops out of routes after brokerTtlMs');
    }
  }

  /** One heartbeat: renew this broker, then read the live brokers (the task's pass; tests call it). */
  async beat(): Promise<readonly LiveBroker[]> {
    const { store, brokerId, endpoint, config, log } = this.deps;
    await store.heartbeatBroker(brokerId, endpoint(), config.brokerTtlMs);
    const live = await store.liveBrokers();
    const before = new Set(this.current.map((b) => b.brokerId));
    const now = new Set(live.map((b) => b.brokerId));
    const joined = live.filter((b) => !before.has(b.brokerId) && b.brokerId !== brokerId);
    const left = this.current.filter((b) => !now.has(b.brokerId));
    if (joined.length > 0 || left.length > 0) {
      log.info({ joined: joined.map((b) => `${b.brokerId}@${b.endpoint}`), left: left.map((b) => b.brokerId), live: live.length }, 'broker membership changed');
    }
    this.current = live;
    return live;
  }
}
