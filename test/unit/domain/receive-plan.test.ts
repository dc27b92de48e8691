// The consumption planners every backend applies inside its receive: redeliveries (FIFO group
// heads only, non-FIFO every expired delivery in offset order), the dead-letter threshold, the
// FIFO head-of-group rule and the tag filter for new messages, and the records a delivery and a
// dead-lettering make.
import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../../src/domain/messages.js';
import {
  changedInvisibilityMs,
  deadLetterInput,
  delivered,
  isCurrentDelivery,
  isRenewedBy,
  newInflight,
  nextRedeliveryAtMs,
  planReceive,
  planRedeliveries,
  type InflightRecord,
} from '../../../src/domain/receive-plan.js';
import { parseTagExpression } from '../../../src/domain/tag-filter.js';

const NOW = 10_000;

function entry(offset: number, over: Partial<InflightRecord> = {}): InflightRecord {
  return { offset, attempt: 1, visibleAtMs: NOW - 1, token: `t${offset}`, ...over };
}

function message(offset: number, over: Partial<StoredMessage> = {}): StoredMessage {
  return {
    topic: 'Orders',
    queueId: 0,
    offset,
    storeTimestampMs: 5_000,
    messageId: `M${offset}`,
    messageType: 'NORMAL',
    body: Buffer.from(`body-${offset}`),
    keys: [],
    userProperties: {},
    bornTimestampMs: 4_000,
    bornHost: 'h',
    ...over,
  };
}

const plain = { fifo: false, maxDeliveryAttempts: 16 };
const fifo = { fifo: true, maxDeliveryAttempts: 16 };
const all = parseTagExpression('*');

describe('planRedeliveries', () => {
  it('non-FIFO: every expired delivery, in offset order, and nothing still invisible', () => {
    const inflight = [entry(7), entry(2), entry(5, { visibleAtMs: NOW + 1 }), entry(3, { visibleAtMs: NOW })];
    const plan = planRedeliveries(inflight, NOW, plain);
    expect(plan.steps.map((s) => [s.kind, s.entry.offset])).toEqual([
      ['redeliver', 2],
      ['redeliver', 3],
      ['redeliver', 7],
    ]);
    expect(plan.busyGroups.size).toBe(0);
  });

  it('non-FIFO: several expired messages of one message group all come back', () => {
    const inflight = [entry(1, { messageGroup: 'A' }), entry(2, { messageGroup: 'A' })];
    expect(planRedeliveries(inflight, NOW, plain).steps.map((s) => s.entry.offset)).toEqual([1, 2]);
  });

  it('FIFO: only the head of each message group, when expired or waiting; the others stay behind it', () => {
    const inflight = [
      entry(4, { messageGroup: 'A' }), // behind A's head
      entry(1, { messageGroup: 'A' }), // A's head, expired
      entry(2, { messageGroup: 'B', visibleAtMs: NOW + 5_000 }), // B's head, still invisible
      entry(6, { messageGroup: 'B', attempt: 0, visibleAtMs: 0, token: '' }), // waiting behind B
      entry(3, { messageGroup: 'C', attempt: 0, visibleAtMs: 0, token: '' }), // C's head, waiting
      entry(8), // no message group: its own head
    ];
    const plan = planRedeliveries(inflight, NOW, fifo);
    expect(plan.steps.map((s) => [s.kind, s.entry.offset])).toEqual([
      ['redeliver', 1],
      ['redeliver', 3],
      ['redeliver', 8],
    ]);
    expect([...plan.busyGroups].sort()).toEqual(['#8', 'A', 'B', 'C']);
  });

  it('sends a message to the dead-letter queue once it was delivered maxDeliveryAttempts times', () => {
    const inflight = [entry(1, { attempt: 2 }), entry(2, { attempt: 3 }), entry(3, { attempt: 4 })];
    const plan = planRedeliveries(inflight, NOW, { fifo: false, maxDeliveryAttempts: 3 });
    expect(plan.steps.map((s) => [s.kind, s.entry.offset])).toEqual([
      ['redeliver', 1],
      ['deadLetter', 2],
      ['deadLetter', 3],
    ]);
  });

  it('FIFO: a dead-lettered head still holds its group for this receive', () => {
    const inflight = [entry(1, { messageGroup: 'A', attempt: 3 }), entry(2, { messageGroup: 'A', attempt: 0, visibleAtMs: 0 })];
    const plan = planReceive(inflight, NOW, { ...fifo, maxDeliveryAttempts: 3, filter: all });
    expect(plan.steps).toEqual([{ kind: 'deadLetter', entry: inflight[0] }]);
    expect(plan.admit(message(9, { messageGroup: 'A' }))).toBe('wait');
  });
});

describe('planReceive: new messages', () => {
  it('FIFO: the first new message of a free group is delivered, the next ones of that group wait', () => {
    const plan = planReceive([entry(1, { messageGroup: 'A', visibleAtMs: NOW + 1 })], NOW, { ...fifo, filter: all });
    expect(plan.steps).toEqual([]);
    expect(plan.admit(message(5, { messageGroup: 'A' }))).toBe('wait'); // A's head is in flight
    expect(plan.admit(message(6, { messageGroup: 'B' }))).toBe('deliver');
    expect(plan.admit(message(7, { messageGroup: 'B' }))).toBe('wait');
    expect(plan.admit(message(8))).toBe('deliver'); // no message group: never waits
    expect(plan.admit(message(9))).toBe('deliver');
  });

  it('non-FIFO: messages of a busy group are delivered anyway', () => {
    const plan = planReceive([entry(1, { messageGroup: 'A', visibleAtMs: NOW + 1 })], NOW, { ...plain, filter: all });
    expect(plan.admit(message(5, { messageGroup: 'A' }))).toBe('deliver');
    expect(plan.admit(message(6, { messageGroup: 'A' }))).toBe('deliver');
  });

  it('skips messages the tag filter does not accept, before the FIFO rule (they never hold a group)', () => {
    const plan = planReceive([], NOW, { ...fifo, filter: parseTagExpression('paid||shipped') });
    expect(plan.admit(message(1, { tag: 'created', messageGroup: 'A' }))).toBe('skip');
    expect(plan.admit(message(2, { messageGroup: 'A' }))).toBe('skip'); // no tag
    expect(plan.admit(message(3, { tag: 'paid', messageGroup: 'A' }))).toBe('deliver');
    expect(plan.admit(message(4, { tag: 'shipped', messageGroup: 'A' }))).toBe('wait');
  });
});

describe('delivery records', () => {
  it('a waiting record has attempt 0 and no handle; delivering it counts the attempt, sets the deadline and records the first delivery', () => {
    const waiting = newInflight(message(4, { messageGroup: 'A' }));
    expect(waiting).toEqual({ offset: 4, attempt: 0, visibleAtMs: 0, token: '', messageGroup: 'A' });
    expect(isCurrentDelivery(waiting, '')).toBe(false);
    const first = delivered(waiting, NOW, { invisibleDurationMs: 30_000 }, 'aaaaaaaaaaaa');
    expect(first).toEqual({ offset: 4, attempt: 1, visibleAtMs: NOW + 30_000, token: 'aaaaaaaaaaaa', messageGroup: 'A', firstAtMs: NOW });
    expect(isCurrentDelivery(first, 'aaaaaaaaaaaa')).toBe(true);
    expect(isCurrentDelivery(first, 'bbbbbbbbbbbb')).toBe(false);
    // A redelivery keeps when the message was first delivered.
    expect(delivered(first, NOW + 40_000, { invisibleDurationMs: 30_000 }, 'cccccccccccc').firstAtMs).toBe(NOW);
  });

  it('records auto-renewal for a push delivery, and a later delivery without it clears it', () => {
    const push = delivered(entry(1), NOW, { invisibleDurationMs: 1_000, autoRenew: { clientId: 'c1', brokerId: 'b1' } }, 't');
    expect(push.renew).toEqual({ clientId: 'c1', sinceMs: NOW, brokerId: 'b1' });
    expect(isRenewedBy(push, 'b1')).toBe(true);
    expect(isRenewedBy(push, 'b2')).toBe(false);
    expect(isRenewedBy({ attempt: 2, renew: { clientId: 'c1', sinceMs: 0 } }, 'b2')).toBe(true); // no broker id recorded: any
    const simple = delivered(push, NOW + 5, { invisibleDurationMs: 1_000 }, 'u');
    expect(simple.renew).toBeUndefined();
    expect(simple.attempt).toBe(3);
    expect(isRenewedBy(simple, 'b1')).toBe(false);
  });

  it('a push consumer nack stays invisible at least its back-off; a simple consumer gets what it asks', () => {
    const backoff = { initialMs: 1_000, maxMs: 60_000, multiplier: 2 };
    expect(changedInvisibilityMs({ attempt: 3, renew: { clientId: 'c', sinceMs: 0 } }, 10, backoff)).toBe(4_000);
    expect(changedInvisibilityMs({ attempt: 3, renew: { clientId: 'c', sinceMs: 0 } }, 9_000, backoff)).toBe(9_000);
    expect(changedInvisibilityMs({ attempt: 3 }, 10, backoff)).toBe(10);
  });

  it('the next redelivery is the earliest deadline of a handed-out delivery; waiting ones do not count', () => {
    expect(nextRedeliveryAtMs([entry(1, { visibleAtMs: 900 }), entry(2, { visibleAtMs: 500 }), entry(3, { attempt: 0, visibleAtMs: 0 })])).toBe(500);
    expect(nextRedeliveryAtMs([entry(3, { attempt: 0, visibleAtMs: 0 })])).toBeUndefined();
  });
});

describe('deadLetterInput', () => {
  it('keeps the content and says where the message came from; the log position and transaction go', () => {
    const original = message(12, { tag: 'paid', keys: ['k1'], messageGroup: 'A', transactionId: 'TX1', userProperties: { a: 'b' } });
    const input = deadLetterInput(original, 'GID_billing');
    expect(input).toEqual({
      topic: '%DLQ%GID_billing',
      messageId: 'M12',
      messageType: 'NORMAL',
      body: original.body,
      tag: 'paid',
      keys: ['k1'],
      messageGroup: 'A',
      userProperties: { a: 'b' },
      bornTimestampMs: 4_000,
      bornHost: 'h',
      deadLetter: { topic: 'Orders', messageId: 'M12', group: 'GID_billing' },
    });
  });
});
