// Owns the per-client and per-connection concurrency limits of the gRPC adapter (docs/limits.md):
// how many long polls and Telemetry streams one client id, and one connection (the peer
// address), may hold at once. A slot is taken when the call starts and given back when it ends;
// past the limit the call is refused with TOO_MANY_REQUESTS naming the setting to raise.
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
   * Takes a slot of `kind` for the client id and for the connection; returns the function that
   * gives both back (idempotent). Throws TOO_MANY_REQUESTS when either is at its limit.
   */
  acquire(kind: LimitedKind, clientId: string, peer: string): () => void {
    const max = this.max[kind];
    if (max === 0) return () => {};
    const keys = [`${kind}\u0000client\u0000${clientId}`, `${kind}\u0000peer\u0000${peer}`];
    for (const [i, key] of keys.entries()) {
      if ((this.held.get(key) ?? 0) >= max) {
        const who = i === 0 ? `client ${clientId}` : `connection ${peer}`;
        throw new BrokerError(Code.TOO_MANY_REQUESTS, `${who} holds ${max} ${WHAT[kind].noun} already (${WHAT[kind].setting}): wait for one to end before opening another`);
      }
    }
    for (const key of keys) this.held.set(key, (this.held.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of keys) {
        const n = (this.held.get(key) ?? 1) - 1;
        if (n <= 0) this.held.delete(key);
        else this.held.set(key, n);
      }
    };
  }

  /** Slots held (for tests and metrics). */
  heldCount(): number {
    let n = 0;
    for (const v of this.held.values()) n += v;
    return n / 2;
  }
}
