// Owns the per-client concurrency limits of the gRPC adapter (docs/limits.md): how many long polls
// and Telemetry streams one client id may hold at once. A slot is taken when the call starts and
// given back when it ends; past the limit the call is refused with TOO_MANY_REQUESTS naming the
// setting to raise. Not per connection: clients in one process share one connection (grpc-js
// pools it), so a connection is bounded by grpcMaxConcurrentStreams instead.
import { BrokerError, Code } from '../errors.js';

export type LimitedKind = 'longPoll' | 'telemetry';

const WHAT: Record<LimitedKind, { noun: string; setting: string }> = {
  longPoll: { noun: 'long polls (ReceiveMessage)', setting: 'maxLongPollsPerClient' },
  telemetry: { noun: 'Telemetry streams', setting: 'maxTelemetryStreamsPerClient' },
};

export class ClientLimits {
  private readonly held = new Map<string, number>();

  /** `max` per kind; 0 = no limit. */
  constructor(private readonly max: Readonly<Record<LimitedKind, number>>) {}

  /**
   * Takes a slot of `kind` for the client id; returns the function that gives it back
   * (idempotent). Throws TOO_MANY_REQUESTS when the client is at its limit.
   */
  acquire(kind: LimitedKind, clientId: string): () => void {
    const max = this.max[kind];
    if (max === 0) return () => {};
    const key = `${kind}\u0000${clientId}`;
    if ((this.held.get(key) ?? 0) >= max) {
      throw new BrokerError(
        Code.TOO_MANY_REQUESTS,
        `client ${clientId} holds ${max} ${WHAT[kind].noun} already (${WHAT[kind].setting}): wait for one to end before opening another`,
      );
    }
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.held.get(key) ?? 1) - 1;
      if (n <= 0) this.held.delete(key);
      else this.held.set(key, n);
    };
  }

  /** Slots held (for tests and metrics). */
  heldCount(): number {
    let n = 0;
    for (const v of this.held.values()) n += v;
    return n;
  }
}
