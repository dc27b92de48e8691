// Owns the delivery history of a message (its trace): each delivery to a consumer group (attempt,
// when, to which client) as the stores record it, how an attempt ended when that was recorded
// (acked, dead-lettered), and the one rule that turns them into what became of each attempt.

/** A delivery of a message to a group, as recorded when it was handed out. */
export interface DeliveryEvent {
  group: string;
  /** 1 on the first delivery. */
  attempt: number;
  deliveredAtMs: number;
  /** The receiving client, when the receive named one. */
  clientId?: string;
}

/** How an attempt ended, recorded with the ack or the dead-lettering. */
export interface DeliveryEnd {
  group: string;
  attempt: number;
  outcome: 'ACKED' | 'DEAD_LETTERED';
  atMs: number;
}

/**
 * IN_FLIGHT: the current delivery, neither acked nor expired yet. REDELIVERED: a later attempt
 * followed (its invisibility ran out, or the consumer nacked it). DROPPED: not in flight any more
 * without an ack (an offset reset dropped it).
 */
export type DeliveryOutcome = 'IN_FLIGHT' | 'ACKED' | 'REDELIVERED' | 'DEAD_LETTERED' | 'DROPPED';

export interface DeliveryRecord extends DeliveryEvent {
  outcome: DeliveryOutcome;
  /** When it was acked or dead-lettered. */
  outcomeAtMs?: number;
}

/** Message lookups of `message show`: by message id or by business key, optionally in one topic. */
export interface MessageQuery {
  messageId?: string;
  key?: string;
  topic?: string;
  limit: number;
}

/**
 * The trace of one message: every recorded delivery, by group then attempt, with its outcome.
 * `inFlight`: the group's current in-flight attempt of the message, where there is one.
 */
export function deliveryTrace(delivered: readonly DeliveryEvent[], ended: readonly DeliveryEnd[], inFlight: ReadonlyMap<string, number>): DeliveryRecord[] {
  const endOf = new Map(ended.map((e) => [`${e.group}\0${e.attempt}`, e]));
  const lastAttempt = new Map<string, number>();
  for (const d of delivered) lastAttempt.set(d.group, Math.max(lastAttempt.get(d.group) ?? 0, d.attempt));
  return [...delivered]
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.attempt - b.attempt))
    .map((d) => {
      const end = endOf.get(`${d.group}\0${d.attempt}`);
      if (end) return { ...d, outcome: end.outcome, outcomeAtMs: end.atMs };
      // A later attempt followed (recorded, or in flight: deliveries from before the history was kept).
      if (d.attempt < Math.max(lastAttempt.get(d.group)!, inFlight.get(d.group) ?? 0)) return { ...d, outcome: 'REDELIVERED' as const };
      return { ...d, outcome: inFlight.get(d.group) === d.attempt ? ('IN_FLIGHT' as const) : ('DROPPED' as const) };
    });
}
