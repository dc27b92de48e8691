// Owns the per-client bound on in-flight (received, not yet acked) deliveries: which receipt
// handles each client holds and until when. A client at maxInflightPerClient gets no more
// messages until it acks, nacks or lets some expire, so a client that never acks ties up at most
// that many messages. Kept in memory by the broker that handed the deliveries out (an ack that
// reaches another broker of a cluster frees the slot when the delivery's invisible time ends).
import { BrokerError, Code } from '../errors.js';

export class InflightLimit {
  /** clientId → receipt handle → until when it counts (ms). */
  private readonly byClient = new Map<string, Map<string, number>>();
  private readonly clientOf = new Map<string, string>();

  /** `max` 0 = no limit. */
  constructor(private readonly max: number) {}

  /**
   * How many more deliveries the client may take now (at most `wanted`); throws
   * TOO_MANY_REQUESTS when it holds `max` already.
   */
  room(clientId: string | undefined, wanted: number, nowMs: number): number {
    if (this.max === 0 || clientId === undefined) return wanted;
    // Entries whose time has passed only matter when the client could reach the limit with this
    // receive: the common case answers without walking what it holds.
    const count = this.byClient.get(clientId)?.size ?? 0;
    if (count + wanted <= this.max) return wanted;
    const held = this.prune(clientId, nowMs);
    if (held >= this.max) {
      throw new BrokerError(
        Code.TOO_MANY_REQUESTS,
        `client ${clientId} holds ${held} received messages that are not acked (maxInflightPerClient ${this.max}): ack them, change their invisible duration, or let them expire before receiving more`,
      );
    }
    return Math.min(wanted, this.max - held);
  }

  /** Records deliveries handed to the client, each counting until `untilMs` (its invisible time, or longer for renewed ones). */
  add(clientId: string | undefined, deliveries: readonly { receiptHandle: string; untilMs: number }[]): void {
    if (this.max === 0 || clientId === undefined) return;
    let held = this.byClient.get(clientId);
    if (!held) {
      held = new Map<string, number>();
      this.byClient.set(clientId, held);
    }
    for (const d of deliveries) {
      held.set(d.receiptHandle, d.untilMs);
      this.clientOf.set(d.receiptHandle, clientId);
    }
  }

  /** The delivery was acked, nacked, dead-lettered or released. */
  forget(receiptHandle: string): void {
    const clientId = this.clientOf.get(receiptHandle);
    if (clientId === undefined) return;
    this.clientOf.delete(receiptHandle);
    const held = this.byClient.get(clientId);
    held?.delete(receiptHandle);
    if (held?.size === 0) this.byClient.delete(clientId);
  }

  /** The delivery's invisible time changed: it counts under its new handle until `untilMs`. */
  replace(receiptHandle: string, next: { receiptHandle: string; untilMs: number }): void {
    const clientId = this.clientOf.get(receiptHandle);
    this.forget(receiptHandle);
    if (clientId !== undefined) this.add(clientId, [next]);
  }

  /** Deliveries the client holds now, after dropping those whose time has passed. */
  private prune(clientId: string, nowMs: number): number {
    const held = this.byClient.get(clientId);
    if (!held) return 0;
    for (const [handle, until] of held) {
      if (until <= nowMs) {
        held.delete(handle);
        this.clientOf.delete(handle);
      }
    }
    if (held.size === 0) this.byClient.delete(clientId);
    return held.size;
  }
}
