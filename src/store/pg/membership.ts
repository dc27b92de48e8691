// Owns the PostgreSQL store's broker membership: one row per broker process sharing the
// database, with a heartbeat deadline computed from the store clock (like the lease table).
// A heartbeat renews the caller's row and forgets expired ones in one transaction; the live
// brokers are the rows whose deadline has not passed.
import type { LiveBroker } from '../broker-store.js';
import type { PgContext } from './records.js';

export class PgMembership {
  constructor(private readonly ctx: PgContext) {}

  heartbeatBroker(brokerId: string, endpoint: string, ttlMs: number): Promise<void> {
    const now = this.ctx.clock.now();
    return this.ctx.db.tx(async (tx) => {
      await tx.run('heartbeat_broker', [brokerId, endpoint, now, ttlMs]);
      await tx.run('prune_brokers', [now]);
    });
  }

  async liveBrokers(): Promise<LiveBroker[]> {
    const rows = await this.ctx.db.rows<{ broker_id: string; endpoint: string }>('live_brokers', [this.ctx.clock.now()]);
    return rows.map((r) => ({ brokerId: r.broker_id, endpoint: r.endpoint }));
  }

  async leaveBroker(brokerId: string): Promise<void> {
    await this.ctx.db.rows('leave_broker', [brokerId]);
  }
}
