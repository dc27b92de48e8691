// Owns the LeaseStore of the LevelDB backend. One process owns a LevelDB data directory, so
// leases live in that process's memory: taking one only has to keep concurrent sweeps of the
// same broker apart. A shared backend (PostgreSQL) keeps them in rows instead.
import type { Clock } from '../../util/clock.js';
import type { LeaseStore } from '../broker-store.js';

export class Leases implements LeaseStore {
  private readonly leases = new Map<string, { holder: string; untilMs: number }>();

  constructor(private readonly clock: Clock) {}

  async tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const lease = this.leases.get(name);
    if (lease && lease.holder !== holder && lease.untilMs > now) return false;
    this.leases.set(name, { holder, untilMs: now + ttlMs });
    return true;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }
}
