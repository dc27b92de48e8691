// The transaction domain rules every backend applies: the transition table, the two check
// budgets (answered and unanswered checks apart), whom a check goes to (sender first, a
// different producer on each further check, producers that answered before those that let
// checks time out), and what a claim, an answer, a released check, a re-arm and a decision make
// of a transaction.
import { describe, expect, it } from 'vitest';
import {
  abandon,
  answerCheck,
  budgetExhausted,
  chooseCheckTarget,
  claimCheck,
  decide,
  halfMessageOf,
  MAX_CHECK_HISTORY,
  planClaim,
  quarantine,
  rearm,
  releaseCheck,
  repeatOf,
  transition,
  type HalfMessage,
  type HalfRecord,
  type TransactionState,
} from '../../../src/domain/transactions.js';

type Meta = Omit<HalfMessage, 'message'>;

function meta(over: Partial<Meta> = {}): Meta {
  return {
    transactionId: 'TX1',
    producerGroup: 'Orders',
    senderClientId: 'a',
    receivedAtMs: 1_000,
    state: 'PENDING',
    budget: 'checks',
    checkCount: 0,
    nextCheckAtMs: 7_000,
    ...over,
  };
}

describe('transition table', () => {
  it('lets a pending transaction be checked, abandoned, quarantined or decided', () => {
    expect(transition('PENDING', 'CHECK')).toBe('PENDING');
    expect(transition('PENDING', 'RELEASE')).toBe('PENDING');
    expect(transition('PENDING', 'ABANDON')).toBe('ABANDONED');
    expect(transition('PENDING', 'QUARANTINE')).toBe('ABANDONED');
    expect(transition('PENDING', 'COMMIT')).toBe('COMMITTED');
    expect(transition('PENDING', 'ROLLBACK')).toBe('ROLLED_BACK');
    expect(transition('PENDING', 'REARM')).toBeUndefined();
  });

  it('lets an abandoned transaction be re-armed or decided, never checked', () => {
    expect(transition('ABANDONED', 'REARM')).toBe('PENDING');
    expect(transition('ABANDONED', 'COMMIT')).toBe('COMMITTED');
    expect(transition('ABANDONED', 'ROLLBACK')).toBe('ROLLED_BACK');
    expect(transition('ABANDONED', 'CHECK')).toBeUndefined();
    expect(transition('ABANDONED', 'ABANDON')).toBeUndefined();
  });

  it('has no way out of a decision', () => {
    const events = ['CHECK', 'RELEASE', 'ABANDON', 'QUARANTINE', 'REARM', 'COMMIT', 'ROLLBACK'] as const;
    for (const state of ['COMMITTED', 'ROLLED_BACK'] as TransactionState[]) {
      for (const event of events) expect(transition(state, event), `${state} ${event}`).toBeUndefined();
    }
  });
});

describe('check budgets', () => {
  const limits = { checkMax: 3, maxAgeMs: 60_000 };

  it('a count budget is used up after checkMax checks, whatever the age', () => {
    expect(budgetExhausted(meta({ checkCount: 2 }), 10_000_000, limits)).toBeUndefined();
    expect(budgetExhausted(meta({ checkCount: 3 }), 0, limits)).toBe('no decision after 3 checks (transactionCheckMax 3)');
  });

  it('with timeoutMax, answered and unanswered checks are budgeted apart (the one awaiting an answer counts as unanswered)', () => {
    const both = { ...limits, timeoutMax: 5 };
    expect(budgetExhausted(meta({ checkCount: 7, timeouts: 4 }), 0, both)).toBe('no decision after 3 checks answered UNKNOWN (transactionCheckMax 3)');
    expect(budgetExhausted(meta({ checkCount: 6, timeouts: 4 }), 0, both)).toBeUndefined();
    expect(budgetExhausted(meta({ checkCount: 6, timeouts: 4, awaitingAnswer: true }), 0, both)).toBe('no answer to 5 checks (transactionCheckTimeoutMax 5)');
    expect(budgetExhausted(meta({ checkCount: 4, awaitingAnswer: true }), 0, both)).toBe('no decision after 3 checks answered UNKNOWN (transactionCheckMax 3)');
  });

  it('an age budget is used up at maxAgeMs after receipt, whatever the count', () => {
    expect(budgetExhausted(meta({ budget: 'age', checkCount: 99 }), 60_999, limits)).toBeUndefined();
    expect(budgetExhausted(meta({ budget: 'age' }), 61_000, limits)).toMatch(/^undecided 60 s after publish over HTTP \(httpTransactionMaxAgeMs 60000\)$/);
  });
});

describe('chooseCheckTarget', () => {
  it('returns undefined when nobody can be asked', () => {
    expect(chooseCheckTarget(meta(), [])).toBeUndefined();
  });

  it('prefers the sender of the half message', () => {
    for (let n = 0; n < 5; n++) expect(chooseCheckTarget(meta({ senderClientId: 'b', checkCount: n }), ['a', 'b', 'c'])).toBe('b');
  });

  it('avoids the sender when it was asked last time and did not answer', () => {
    expect(chooseCheckTarget(meta({ lastCheckClientId: 'a', awaitingAnswer: true }), ['a', 'b'])).toBe('b');
  });

  it('still asks the sender when it is the only candidate, even if avoided', () => {
    expect(chooseCheckTarget(meta({ lastCheckClientId: 'a', awaitingAnswer: true }), ['a'])).toBe('a');
  });

  it('rotates among the others over successive checks when the sender is gone', () => {
    const picks = Array.from({ length: 6 }, (_, n) => chooseCheckTarget(meta({ senderClientId: 'gone', checkCount: n }), ['a', 'b', 'c']));
    expect(picks.slice(0, 3).sort()).toEqual(['a', 'b', 'c']);
    expect(picks.slice(3)).toEqual(picks.slice(0, 3));
  });

  it('rotation skips the avoided client', () => {
    const picks = Array.from({ length: 4 }, (_, n) =>
      chooseCheckTarget(meta({ senderClientId: 'gone', lastCheckClientId: 'b', awaitingAnswer: true, checkCount: n }), ['a', 'b', 'c']),
    );
    expect(picks).not.toContain('b');
    expect(new Set(picks)).toEqual(new Set(['a', 'c']));
  });

  it('an avoided sender is not picked by rotation either', () => {
    for (let n = 0; n < 6; n++) expect(chooseCheckTarget(meta({ lastCheckClientId: 'a', awaitingAnswer: true, checkCount: n }), ['a', 'b', 'c'])).not.toBe('a');
  });

  it('asks the best-ranked producers first: answered, then untried, then those that let checks time out', () => {
    const ranks = { good: 0, slow: 3, silent: 5 };
    for (let i = 0; i < 20; i++) expect(chooseCheckTarget(meta({ transactionId: `TX${i}`, senderClientId: 'gone' }), ['silent', 'slow', 'good'], ranks)).toBe('good');
    expect(chooseCheckTarget(meta({ senderClientId: 'gone' }), ['silent', 'slow'], ranks)).toBe('slow');
    expect(chooseCheckTarget(meta({ senderClientId: 'gone' }), ['silent', 'new'], ranks)).toBe('new');
    // The sender is asked first only while no better-ranked producer is online.
    expect(chooseCheckTarget(meta({ senderClientId: 'silent' }), ['silent', 'good'], ranks)).toBe('good');
    expect(chooseCheckTarget(meta({ senderClientId: 'good' }), ['new', 'good'], ranks)).toBe('good');
  });

  it('asks a producer that answered UNKNOWN again, but not one that let the check go unanswered', () => {
    const ranks = { a: 0, b: 1 };
    expect(chooseCheckTarget(meta({ senderClientId: 'gone', lastCheckClientId: 'a', checkCount: 1 }), ['a', 'b'], ranks)).toBe('a');
    expect(chooseCheckTarget(meta({ senderClientId: 'gone', lastCheckClientId: 'a', awaitingAnswer: true, checkCount: 1 }), ['a', 'b'], ranks)).toBe('b');
  });

  it('spreads the first checks of different transactions over the producers', () => {
    const picks = new Set(Array.from({ length: 30 }, (_, i) => chooseCheckTarget(meta({ transactionId: `TX${i}`, senderClientId: 'gone' }), ['a', 'b', 'c'])));
    expect(picks).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('claim, release, re-arm and decide', () => {
  it('a claim counts the check, records it in the trail and moves the due time', () => {
    const claimed = claimCheck(meta(), 10_000, 'a', 30_000);
    expect(claimed).toMatchObject({ checkCount: 1, lastCheckAtMs: 10_000, lastCheckClientId: 'a', nextCheckAtMs: 40_000, checks: [{ atMs: 10_000, clientId: 'a' }] });
  });

  it('the trail keeps the latest MAX_CHECK_HISTORY checks', () => {
    let m = meta();
    for (let i = 0; i < MAX_CHECK_HISTORY + 5; i++) m = claimCheck(m, i, `c${i}`, 1);
    expect(m.checks).toHaveLength(MAX_CHECK_HISTORY);
    expect(m.checks![0]!.clientId).toBe('c5');
  });

  it('a claim leaves the transaction it was given as it was (a copy is claimed)', () => {
    const before = claimCheck(meta(), 10_000, 'a', 5_000);
    const snapshot = structuredClone(before);
    claimCheck(before, 15_000, 'b', 5_000);
    expect(before).toEqual(snapshot);
  });

  it('a half message of a record holds every field but those its message carries, and no field the record lacks', () => {
    const message = {
      topic: 'T',
      messageId: 'M1',
      messageType: 'TRANSACTION' as const,
      body: Buffer.from('x'),
      keys: ['k'],
      userProperties: {},
      bornTimestampMs: 1,
      bornHost: 'h',
    };
    const bare: HalfRecord = { ...meta(), topic: 'T', messageId: 'M1', keys: ['k'] };
    expect(halfMessageOf(bare, message)).toEqual({ ...meta(), message });
    expect(Object.keys(halfMessageOf(bare, message)).sort()).toEqual([...Object.keys(meta()), 'message'].sort());
    const full = { ...meta(), timeouts: 2, awaitingAnswer: true, silenceIsUnknown: false, lastCheckAtMs: 5, lastCheckDueAtMs: 4, lastCheckClientId: 'b' };
    const checked: Meta = { ...full, abandonReason: 'r', checks: [{ atMs: 5, clientId: 'b' }] };
    expect(halfMessageOf({ ...checked, topic: 'T', messageId: 'M1' }, message)).toEqual({ ...checked, message });
  });

  it('a claim awaits an answer; claimed again unanswered, the previous check counts as a timeout', () => {
    const once = claimCheck(meta(), 10_000, 'a', 5_000);
    expect(once).toMatchObject({ checkCount: 1, awaitingAnswer: true });
    expect(once).not.toHaveProperty('timeouts');
    expect(claimCheck(once, 15_000, 'b', 5_000)).toMatchObject({ checkCount: 2, timeouts: 1, awaitingAnswer: true, lastCheckClientId: 'b' });
  });

  it('an UNKNOWN answer ends the wait, due one interval after the check; a repeat or a late answer changes nothing', () => {
    const claimed = claimCheck(meta(), 10_000, 'a', 5_000);
    const answered = answerCheck(claimed, 12_000, 30_000);
    expect(answered).toMatchObject({ checkCount: 1, nextCheckAtMs: 40_000 });
    expect(answered).not.toHaveProperty('awaitingAnswer');
    expect(answerCheck(answered!, 13_000, 30_000)).toBeUndefined();
    expect(answerCheck(claimed, 90_000, 30_000)?.nextCheckAtMs).toBe(90_000);
    expect(answerCheck({ ...claimed, state: 'ABANDONED' }, 12_000, 30_000)).toBeUndefined();
  });

  it('a released check gives the attempt back and is due at once', () => {
    const released = releaseCheck(claimCheck(meta(), 10_000, 'a', 30_000), 11_000);
    expect(released).toMatchObject({ checkCount: 0, nextCheckAtMs: 11_000, checks: [] });
    expect(released).not.toHaveProperty('awaitingAnswer');
  });

  it('re-arming gives a fresh budget and forgets why it was abandoned', () => {
    const rearmed = rearm(meta({ state: 'ABANDONED', checkCount: 15, abandonReason: 'no decision' }), 50_000);
    expect(rearmed).toMatchObject({ state: 'PENDING', checkCount: 0, nextCheckAtMs: 50_000 });
    expect(rearmed).not.toHaveProperty('abandonReason');
  });

  it('a decision keeps the audit trail, the keys and the reason', () => {
    const checked = claimCheck(meta(), 10_000, 'a', 30_000);
    const d = decide({ ...checked, topic: 'Orders', messageId: 'M1', keys: ['order-1'] }, 'ROLLBACK', 'POLICY', 99_000, 'no decision after 15 checks');
    expect(d).toEqual({
      transactionId: 'TX1',
      topic: 'Orders',
      messageId: 'M1',
      state: 'ROLLED_BACK',
      source: 'POLICY',
      reason: 'no decision after 15 checks',
      receivedAtMs: 1_000,
      decidedAtMs: 99_000,
      checkCount: 1,
      keys: ['order-1'],
      checks: [{ atMs: 10_000, clientId: 'a' }],
    });
    expect(repeatOf(d, 'ROLLBACK')).toBe('duplicate');
    expect(repeatOf(d, 'COMMIT')).toBe('conflict');
  });
});

describe('planClaim, abandon and quarantine', () => {
  const req = { budget: { checkMax: 3, maxAgeMs: 60_000 }, targets: ['a', 'b'], nextCheckInMs: 5_000 };

  it('drops index entries of transactions that are gone or not pending, and leaves not-due ones alone', () => {
    expect(planClaim(undefined, 8_000, req)).toEqual({ kind: 'dangling' });
    expect(planClaim(meta({ state: 'ABANDONED' }), 8_000, req)).toEqual({ kind: 'dangling' });
    expect(planClaim(meta({ nextCheckAtMs: 8_001 }), 8_000, req)).toEqual({ kind: 'notDue' });
  });

  it('reports a used-up budget before looking for a target, and claims nothing without one', () => {
    expect(planClaim(meta({ checkCount: 3 }), 8_000, { ...req, targets: [] })).toMatchObject({ kind: 'exhausted' });
    expect(planClaim(meta(), 8_000, { ...req, targets: [] })).toEqual({ kind: 'noTarget' });
  });

  it('claims a due transaction for the chosen producer with the claimCheck record', () => {
    const step = planClaim(meta(), 8_000, req);
    // Without an answer timeout every silence is an UNKNOWN (RocketMQ's rule: every check counts).
    expect(step).toEqual({ kind: 'claim', clientId: 'a', updated: claimCheck(meta(), 8_000, 'a', 5_000, true) });
  });

  it('with an answer timeout and other producers to ask, a claimed check is due again after the timeout, else after the interval', () => {
    const timed = { ...req, answerTimeoutMs: 1_000 };
    expect(planClaim(meta(), 8_000, timed)).toMatchObject({ kind: 'claim', updated: { nextCheckAtMs: 9_000 } });
    expect(planClaim(meta(), 8_000, { ...timed, targets: ['a'] })).toMatchObject({ kind: 'claim', updated: { nextCheckAtMs: 13_000 } });
  });

  it('silence counts as a timeout only where another producer could be asked and the chosen one does not answer checks', () => {
    const timed = { ...req, answerTimeoutMs: 1_000 };
    expect(planClaim(meta(), 8_000, timed)).toMatchObject({ updated: { awaitingAnswer: true } });
    expect(planClaim(meta(), 8_000, timed)).not.toHaveProperty('updated.silenceIsUnknown');
    // The only live producer, or one that answers checks: silence is an UNKNOWN, asked again after the interval.
    expect(planClaim(meta(), 8_000, { ...timed, targets: ['a'] })).toMatchObject({ updated: { silenceIsUnknown: true, nextCheckAtMs: 13_000 } });
    expect(planClaim(meta(), 8_000, { ...timed, answering: ['a'] })).toMatchObject({ updated: { silenceIsUnknown: true, nextCheckAtMs: 13_000 } });
    // Claimed again unanswered: a silent UNKNOWN is an answered check, a silent timeout is not.
    const both = { checkMax: 2, maxAgeMs: 60_000, timeoutMax: 9 };
    const unknown = claimCheck(claimCheck(meta(), 0, 'a', 1, true), 1, 'b', 1);
    expect(unknown).not.toHaveProperty('timeouts');
    expect(budgetExhausted(unknown, 2, both)).toBeUndefined();
    expect(budgetExhausted(claimCheck(unknown, 2, 'a', 1, true), 3, both)).toBe('no decision after 2 checks answered UNKNOWN (transactionCheckMax 2)');
    expect(claimCheck(claimCheck(meta(), 0, 'a', 1), 1, 'b', 1)).toMatchObject({ timeouts: 1 });
  });

  it('abandon and quarantine both lead to ABANDONED (as the table says), quarantine naming why', () => {
    expect(abandon(meta(), 'no decision')).toMatchObject({ state: transition('PENDING', 'ABANDON'), abandonReason: 'no decision' });
    expect(quarantine(meta(), 'its message body is missing')).toMatchObject({
      state: transition('PENDING', 'QUARANTINE'),
      abandonReason: 'quarantined: its message body is missing',
    });
  });
});
