// The delivery-trace rule: what became of each recorded delivery of a message (acked and
// dead-lettered as recorded; otherwise redelivered when a later attempt followed, in flight when
// it is the group's current attempt, dropped when it is neither).
import { describe, expect, it } from 'vitest';
import { deliveryTrace } from '../../../src/domain/deliveries.js';

describe('deliveryTrace', () => {
  it('orders by group then attempt and derives each outcome', () => {
    const trace = deliveryTrace(
      [
        { group: 'b', attempt: 1, deliveredAtMs: 10 },
        { group: 'a', attempt: 2, deliveredAtMs: 40, clientId: 'c2' },
        { group: 'a', attempt: 1, deliveredAtMs: 20, clientId: 'c1' },
        { group: 'c', attempt: 1, deliveredAtMs: 30 },
        { group: 'd', attempt: 3, deliveredAtMs: 50 },
      ],
      [
        { group: 'a', attempt: 2, outcome: 'ACKED', atMs: 45 },
        { group: 'd', attempt: 3, outcome: 'DEAD_LETTERED', atMs: 55 },
      ],
      new Map([['b', 1]]),
    );
    expect(trace).toEqual([
      { group: 'a', attempt: 1, deliveredAtMs: 20, clientId: 'c1', outcome: 'REDELIVERED' },
      { group: 'a', attempt: 2, deliveredAtMs: 40, clientId: 'c2', outcome: 'ACKED', outcomeAtMs: 45 },
      { group: 'b', attempt: 1, deliveredAtMs: 10, outcome: 'IN_FLIGHT' },
      { group: 'c', attempt: 1, deliveredAtMs: 30, outcome: 'DROPPED' },
      { group: 'd', attempt: 3, deliveredAtMs: 50, outcome: 'DEAD_LETTERED', outcomeAtMs: 55 },
    ]);
  });

  it('an attempt older than the one in flight was redelivered, even when the later one was not recorded', () => {
    expect(deliveryTrace([{ group: 'g', attempt: 1, deliveredAtMs: 1 }], [], new Map([['g', 2]]))).toEqual([
      { group: 'g', attempt: 1, deliveredAtMs: 1, outcome: 'REDELIVERED' },
    ]);
    expect(deliveryTrace([], [], new Map())).toEqual([]);
  });
});
