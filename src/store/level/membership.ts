// Owns the MembershipStore of the LevelDB backend. One process owns a LevelDB data directory,
// so the only broker it can know about is itself: registrations live in this process's memory
// with their deadlines, like the leases next to it.
import type { Clock } from '../../util/clock.js';
import type { LiveBroker, MembershipStore } from '../broker-store.js';

export class Membership implements MembershipStore {
  private readonly brokers = new Map<string, { endpoint: string; untilMs: number }>();

  constructor(private readonly clock: Clock) {}

  async heartbeatBroker(brokerId: string, endpoint: string, ttlMs: number): Promise<void> {
    this.brokers.set(brokerId, { endpoint, untilMs: this.clock.now() + ttlMs });
  }

  async liveBrokers(): Promise<LiveBroker[]> {
    const now = this.clock.now();
    const live: LiveBroker[] = [];
    for (const [brokerId, b] of this.brokers) {
      if (b.untilMs > now) live.push({ brokerId, endpoint: b.endpoint });
      else this.brokers.delete(brokerId);
    }
    return live.sort((a, b) => (a.brokerId < b.brokerId ? -1 : a.brokerId > b.brokerId ? 1 : 0));
  }

  async leaveBroker(brokerId: string): Promise<void> {
    this.brokers.delete(brokerId);
  }
}
