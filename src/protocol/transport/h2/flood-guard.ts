// Owns the abuse bounds of one connection: how many PINGs, SETTINGS, client resets of open
// streams (rapid reset), refused streams and empty DATA frames it may send per interval. Past a
// bound the connection ends with ENHANCE_YOUR_CALM. Time comes from the injected clock; a window
// restarts when a strike comes after it ended, so an honest client never accumulates strikes.
import type { Clock } from '../../../util/clock.js';

export type Strike = 'ping' | 'settings' | 'reset' | 'refused' | 'emptyData';

export interface FloodLimits {
  /** The interval the counts run over. */
  intervalMs: number;
  ping: number;
  settings: number;
  reset: number;
  refused: number;
  emptyData: number;
}

export const DEFAULT_FLOOD_LIMITS: FloodLimits = Object.freeze({ intervalMs: 1000, ping: 1000, settings: 100, reset: 1000, refused: 1000, emptyData: 1000 });

export class FloodGuard {
  private readonly counts: Record<Strike, number> = { ping: 0, settings: 0, reset: 0, refused: 0, emptyData: 0 };
  private since: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: FloodLimits = DEFAULT_FLOOD_LIMITS,
  ) {
    this.since = clock.now();
  }

  /** Counts one; false when that was one too many. */
  strike(kind: Strike): boolean {
    const now = this.clock.now();
    if (now - this.since >= this.limits.intervalMs) {
      this.since = now;
      this.counts.ping = this.counts.settings = this.counts.reset = this.counts.refused = this.counts.emptyData = 0;
    }
    return ++this.counts[kind] <= this.limits[kind];
  }
}
