// Owns FirstConsumeTime of consumer deliveries: the store keeps the attempt count but not when the
// first delivery happened, so the gateway remembers it per (group, topic, queue, offset) until the
// message is acked. Bounded (oldest entries go first); after a restart or eviction the value is
// estimated from the attempt count and the invisible duration.

export function deliveryKey(group: string, topic: string, queueId: number, offset: number): string {
  return `${group}\x00${topic}\x00${queueId}\x00${offset}`;
}

export class FirstConsumeTimes {
  private readonly times = new Map<string, number>();

  constructor(private readonly capacity = 100_000) {}

  /**
   * The first delivery time of a delivery: recorded on attempt 1, remembered afterwards;
   * `estimate` when unknown.
   */
  observe(key: string, attempt: number, nowMs: number, estimate: number): number {
    if (attempt <= 1) {
      this.times.delete(key);
      this.times.set(key, nowMs);
      if (this.times.size > this.capacity) this.times.delete(this.times.keys().next().value!);
      return nowMs;
    }
    return this.times.get(key) ?? estimate;
  }

  forget(key: string): void {
    this.times.delete(key);
  }

  get size(): number {
    return this.times.size;
  }
}
