// The transaction counts a clean close records (`meta txcounts`): the next open reads them instead
// of every half record, removes the record before anything else is written (so a crash later is
// recounted), and recounts from the half records when the record is missing or malformed.
import { cp, rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LevelStore } from '../../../../src/store/level/index.js';
import { FakeClock } from '../../../../src/util/clock.js';
import { message, TempStores, withRaw } from './helpers.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

describe('LevelStore transaction counts across a restart', () => {
  const temp = new TempStores();
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(T0);
    await temp.setUp();
  });
  afterEach(() => temp.tearDown());

  const half = (transactionId: string, producerGroup: string) => ({
    transactionId,
    message: message('tx', { messageType: 'TRANSACTION' }),
    producerGroup,
    senderClientId: 'p1',
    budget: 'checks' as const,
  });

  /** Group A: 3 pending, one committed, one rolled back, one abandoned; group B: 2 pending. */
  async function populate(): Promise<LevelStore> {
    const store = await temp.openStore(clock);
    await store.createTopic({ name: 'tx', messageType: 'TRANSACTION', queueCount: 1 });
    for (const id of ['A1', 'A2', 'A3', 'A4', 'A5', 'A6']) await store.putHalf(half(id, 'groupA'), MINUTE);
    for (const id of ['B1', 'B2']) await store.putHalf(half(id, 'groupB'), MINUTE);
    await store.endTransaction('A4', 'COMMIT', 'CLIENT');
    await store.endTransaction('A5', 'ROLLBACK', 'CLIENT');
    expect(await store.abandonTransaction('A6', 'given up by hand')).toBe(true);
    return store;
  }

  async function counts(store: LevelStore) {
    const c = await store.transactionCounters();
    return {
      groupA: await store.pendingTransactionCount('groupA'),
      groupB: await store.pendingTransactionCount('groupB'),
      groups: (await store.pendingProducerGroups()).sort(),
      pending: c.pending,
      abandoned: c.abandoned,
    };
  }

  const EXPECTED = { groupA: 3, groupB: 2, groups: ['groupA', 'groupB'], pending: 5, abandoned: 1 };
  const rawCounts = (dir = temp.dir) => withRaw(dir, (sub) => sub('meta').get('txcounts'));

  /** The directory as a crash would leave it now: a copy of its files taken while the store is open (written, not closed). */
  async function crashCopy(): Promise<string> {
    const copy = `${temp.dir}-crash`;
    await cp(temp.dir, copy, { recursive: true, filter: (src) => !src.endsWith('LOCK') });
    return copy;
  }

  /** Opens a store on the crash copy, runs fn, closes it and removes the copy. */
  async function onCopy<T>(copy: string, fn: (store: LevelStore) => Promise<T>): Promise<T> {
    const store = new LevelStore({ path: copy, clock, durable: false });
    await store.open();
    try {
      return await fn(store);
    } finally {
      await store.close();
      await rm(copy, { recursive: true, force: true });
    }
  }

  it('a clean close records the counts; the next open reads them and removes the record', async () => {
    const store = await populate();
    expect(await counts(store)).toEqual(EXPECTED);
    await store.close();
    expect(JSON.parse((await rawCounts())!.toString())).toEqual({ pendingByGroup: { groupA: 3, groupB: 2 }, abandoned: 1 });
    // A half record removed behind the store's back: a recount would find one fewer in group B; the record is what is read.
    await withRaw(temp.dir, (sub) => sub('half').del('B2'));
    const again = await temp.openStore(clock);
    expect(await counts(again)).toEqual(EXPECTED);
    // The counts go on from there, and the record is gone until the next clean close (a crash now recounts).
    await again.endTransaction('A1', 'COMMIT', 'CLIENT');
    const copy = await crashCopy();
    expect(await rawCounts(copy)).toBeUndefined();
    expect(await onCopy(copy, counts)).toEqual({ ...EXPECTED, groupA: 2, groupB: 1, pending: 3 });
    await again.close();
    const third = await temp.openStore(clock);
    expect(await counts(third)).toEqual({ ...EXPECTED, groupA: 2, pending: 4 });
  });

  it('without the record (a crash) the counts are rebuilt from the half records', async () => {
    await populate();
    const copy = await crashCopy();
    expect(await rawCounts(copy)).toBeUndefined();
    expect(await onCopy(copy, counts)).toEqual(EXPECTED);
  });

  it.each([
    ['not JSON', '{"pendingByGroup":'],
    ['a negative count', '{"pendingByGroup":{"groupA":-1},"abandoned":0}'],
    ['no groups', '{"abandoned":1}'],
    ['a fractional abandoned count', '{"pendingByGroup":{},"abandoned":0.5}'],
    ['null', 'null'],
  ])('a malformed record (%s) is ignored and the counts rebuilt', async (_what, text) => {
    const store = await populate();
    await store.close();
    await withRaw(temp.dir, (sub) => sub('meta').put('txcounts', Buffer.from(text)));
    const again = await temp.openStore(clock);
    expect(await counts(again)).toEqual(EXPECTED);
    const copy = await crashCopy();
    expect(await rawCounts(copy)).toBeUndefined();
    await rm(copy, { recursive: true, force: true });
  });

  const claim = (store: LevelStore) =>
    store.claimDueChecks({ producerGroup: 'groupB', limit: 10, nextCheckInMs: MINUTE, budget: { checkMax: 5, maxAgeMs: 3_600_000 }, targets: ['p1'] });

  it('an unreadable half record counted by the clean close is taken off when it is quarantined', async () => {
    const store = await populate();
    await store.close();
    await withRaw(temp.dir, (sub) => sub('half').put('B2', Buffer.from('{not json')));
    clock.advance(2 * MINUTE);
    // Counted by the clean close (the damage is not seen until read), then quarantined: one fewer.
    const again = await temp.openStore(clock);
    expect(await again.pendingTransactionCount('groupB')).toBe(2);
    expect((await claim(again)).quarantined.map((q) => q.transactionId)).toEqual(['B2']);
    expect(await counts(again)).toEqual({ ...EXPECTED, groupB: 1, pending: 4 });
  });

  it('a recount leaves an unreadable record out, and its quarantine takes nothing off', async () => {
    const store = await populate();
    await store.close();
    await withRaw(temp.dir, async (sub) => {
      await sub('half').put('B2', Buffer.from('{not json'));
      await sub('meta').del('txcounts');
    });
    const again = await temp.openStore(clock);
    expect(await again.pendingTransactionCount('groupB')).toBe(1);
    // Not due yet: a clean restart in between carries the record's being left out.
    await again.close();
    const third = await temp.openStore(clock);
    expect(await third.pendingTransactionCount('groupB')).toBe(1);
    clock.advance(2 * MINUTE);
    expect((await claim(third)).quarantined.map((q) => q.transactionId)).toEqual(['B2']);
    expect(await counts(third)).toEqual({ ...EXPECTED, groupB: 1, pending: 4 });
  });
});
