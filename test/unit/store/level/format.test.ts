// The storage format of a LevelDB data directory: a directory written by a newer Halfmoon is
// refused with a message naming its format and what to do; directories of formats 1 and 2 are
// migrated on open (format 1: the MQ HTTP age budget from the `http:` sender prefix; both: the
// decision indexes, so that decisions written before are found by key and purged by age; formats
// before 4: the message index, so that messages stored before are found by id and key). A
// format-4 directory opens as it is: its JSON in-flight records and per-delivery history are read
// next to the binary records and per-attempt history of format 5; the JSON history records of
// formats 5 and 6 are read next to the binary ones of format 7, and the JSON decisions of formats
// up to 7 next to the binary ones of format 8.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrokerError } from '../../../../src/errors.js';
import { LevelStore, STORAGE_FORMAT_VERSION } from '../../../../src/store/level/index.js';
import { checkDueKey, cursorKey, deliveryKey, inflightKey, logKey } from '../../../../src/store/level/keys.js';
import { encodeReceiptHandle } from '../../../../src/store/receipt-handle.js';
import { FakeClock } from '../../../../src/util/clock.js';
import { jsonRecord, jsonValue, message, TempStores, withRaw, type RawSub } from './helpers.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

describe('LevelStore storage format', () => {
  const temp = new TempStores();
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(T0);
    await temp.setUp();
  });
  afterEach(() => temp.tearDown());

  it('writes the current format version into a new directory', async () => {
    const store = await temp.openStore(clock);
    await store.close();
    const version = await withRaw(temp.dir, (sub) => sub('meta').get('formatVersion'));
    expect(version?.toString()).toBe(String(STORAGE_FORMAT_VERSION));
    expect(STORAGE_FORMAT_VERSION).toBe(8);
  });

  it('refuses a directory of an unknown (newer) format, naming it and what to do, and leaves it unlocked and untouched', async () => {
    await withRaw(temp.dir, (sub) => sub('meta').put('formatVersion', Buffer.from('9')));
    const store = new LevelStore({ path: temp.dir, clock, durable: false });
    const err = await store.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BrokerError);
    const text = (err as Error).message;
    expect(text).toContain(temp.dir);
    expect(text).toContain('storage format 9');
    expect(text).toContain(`reads formats up to ${STORAGE_FORMAT_VERSION}`);
    expect(text).toContain('upgrade Halfmoon, or start it with another --data directory');
    // The database was closed again (no lock left) and the version not overwritten.
    expect((await withRaw(temp.dir, (sub) => sub('meta').get('formatVersion')))?.toString()).toBe('9');
  });

  it('opens a format-1 directory: budgets from the sender, and older decisions found by key and purged by age', async () => {
    await withRaw(temp.dir, async (sub) => {
      await sub('meta').put('topic\x00orders', jsonValue({ name: 'orders', messageType: 'TRANSACTION', queueCount: 1, createdAtMs: T0 - 60 * MINUTE }));
      // Format 1: no version key, half-message metadata without `budget`; an MQ HTTP sender is `http:<id>`.
      await putFormat1Half(sub, 'TX-HTTP', 'http:aliyun-poller-1', ['order-7']);
      await putFormat1Half(sub, 'TX-GRPC', 'client-1@host', []);
      const decisions = sub('txdecision');
      await decisions.put('TX-OLD', jsonValue(decision('TX-OLD', T0 - 50 * MINUTE, ['order-1'])));
      await decisions.put('TX-MID', jsonValue(decision('TX-MID', T0 - 20 * MINUTE, ['order-1', 'order-2'])));
      await decisions.put('TX-NEW', jsonValue(decision('TX-NEW', T0 - 5 * MINUTE, ['order-1'])));
      await decisions.put('TX-NOKEY', jsonValue(decision('TX-NOKEY', T0 - 40 * MINUTE, undefined)));
      await decisions.put('TX-BAD', Buffer.from('{not json'));
      await sub('meta').put('counters', jsonValue({ committed: 4, rolledBack: 0, checksSent: 2, checksAnswered: 1 }));
    });

    const store = await temp.openStore(clock);
    expect((await store.getHalf('TX-HTTP'))?.budget).toBe('age');
    expect((await store.getHalf('TX-GRPC'))?.budget).toBe('checks');
    expect((await store.getHalf('TX-HTTP'))?.message.body.toString()).toBe('half TX-HTTP');
    expect(await store.transactionCounters()).toMatchObject({ pending: 2, committed: 4 });

    const byKey = async (key: string): Promise<string[]> => (await store.findDecisions({ key, limit: 10 })).map((d) => d.transactionId);
    expect(await byKey('order-1')).toEqual(['TX-NEW', 'TX-MID', 'TX-OLD']);
    expect(await byKey('order-2')).toEqual(['TX-MID']);
    expect(await store.findDecisions({ key: 'order-1', limit: 2 })).toHaveLength(2);

    // Older than 30 minutes, oldest first: the unreadable TX-BAD (indexed at time 0), TX-OLD, then TX-NOKEY.
    expect(await store.purgeDecisions(30 * MINUTE, 2)).toEqual({ deleted: 2, more: true });
    expect(await store.getDecision('TX-OLD')).toBeUndefined();
    expect(await store.getDecision('TX-NOKEY')).toBeDefined();
    expect(await store.purgeDecisions(30 * MINUTE, 2)).toEqual({ deleted: 1, more: false });
    expect(await store.getDecision('TX-NOKEY')).toBeUndefined();
    expect(await byKey('order-1')).toEqual(['TX-NEW', 'TX-MID']);
    expect(await store.purgeDecisions(30 * MINUTE, 10)).toEqual({ deleted: 0, more: false });

    // New decisions are indexed as they are made, next to the migrated ones.
    await store.endTransaction('TX-GRPC', 'ROLLBACK', 'CLIENT');
    await store.endTransaction('TX-HTTP', 'COMMIT', 'HTTP');
    expect(await byKey('order-7')).toEqual(['TX-HTTP']);
    await store.close();

    const raw = await withRaw(temp.dir, async (sub) => ({
      version: (await sub('meta').get('formatVersion'))?.toString(),
      bad: await sub('txdecision').get('TX-BAD'),
      timeIndex: (await sub('txdecisiontime').keys().all()).length,
    }));
    // Left: TX-MID and TX-NEW (migrated) and the two decided here.
    expect(raw).toEqual({ version: String(STORAGE_FORMAT_VERSION), bad: undefined, timeIndex: 4 });
  });

  it('opens a format-2 directory and indexes its decisions', async () => {
    await withRaw(temp.dir, async (sub) => {
      await sub('meta').put('formatVersion', Buffer.from('2'));
      await sub('txdecision').put('TX-A', jsonValue(decision('TX-A', T0 - 2 * MINUTE, ['k'])));
      await sub('txdecision').put('TX-B', jsonValue(decision('TX-B', T0 - MINUTE, ['k'])));
    });
    const store = await temp.openStore(clock);
    expect((await store.findDecisions({ key: 'k', limit: 10 })).map((d) => d.transactionId)).toEqual(['TX-B', 'TX-A']);
    expect(await store.purgeDecisions(90_000, 10)).toEqual({ deleted: 1, more: false });
    expect((await store.findDecisions({ key: 'k', limit: 10 })).map((d) => d.transactionId)).toEqual(['TX-B']);
  });
});

describe('LevelStore storage format 6: JSON half-message metadata', () => {
  const temp = new TempStores();
  beforeEach(() => temp.setUp());
  afterEach(() => temp.tearDown());

  it('reads the JSON metadata a format-6 directory holds, counts, checks and commits it, and writes it binary from then on', async () => {
    const clock = new FakeClock(T0);
    const nextCheckAtMs = T0 - MINUTE;
    await withRaw(temp.dir, async (sub) => {
      await sub('meta').put('formatVersion', Buffer.from('6'));
      await sub('meta').put('topic\x00orders', jsonValue({ name: 'orders', messageType: 'TRANSACTION', queueCount: 1, createdAtMs: T0 - MINUTE }));
      for (const [id, messageId] of [
        ['TX-6A', 'TX-6A'],
        ['TX-6B', 'MSG-6B'],
      ] as const) {
        // As formats 5 and 6 wrote it (idRecord): no transaction id, the message id only when it differs.
        const meta: Record<string, unknown> = {
          producerGroup: 'orders',
          senderClientId: 'p1',
          receivedAtMs: T0 - 10 * MINUTE,
          nextCheckAtMs,
          state: 'PENDING',
          budget: 'checks',
          checkCount: 0,
          topic: 'orders',
          keys: ['k'],
        };
        if (messageId !== id) meta.messageId = messageId;
        await sub('half').put(id, jsonValue(meta));
        await sub('halfbody').put(id, jsonRecord(message('orders', { messageId, messageType: 'TRANSACTION', keys: ['k'], body: Buffer.from(`half ${id}`) })));
        await sub('checkdue').put(checkDueKey('orders', nextCheckAtMs, id), Buffer.alloc(0));
      }
    });
    const store = await temp.openStore(clock);
    expect(await store.pendingTransactionCount('orders')).toBe(2);
    expect(await store.getHalf('TX-6B')).toMatchObject({ transactionId: 'TX-6B', state: 'PENDING', checkCount: 0, message: { messageId: 'MSG-6B', keys: ['k'] } });
    const claim = await store.claimDueChecks({ producerGroup: 'orders', limit: 10, nextCheckInMs: MINUTE, budget: { checkMax: 5, maxAgeMs: 3_600_000 }, targets: ['p1'] });
    expect(claim.claimed.map((h) => [h.transactionId, h.checkCount, h.lastCheckClientId, h.message.body.toString()]).sort()).toEqual([
      ['TX-6A', 1, 'p1', 'half TX-6A'],
      ['TX-6B', 1, 'p1', 'half TX-6B'],
    ]);
    expect(await store.endTransaction('TX-6A', 'COMMIT', 'CLIENT')).toMatchObject({ kind: 'applied', decision: { state: 'COMMITTED', checkCount: 1, keys: ['k'] } });
    await store.close();
    const rewritten = (await withRaw(temp.dir, (sub) => sub('half').get('TX-6B')))!;
    expect(rewritten[0]).toBe(0xb2);
    const again = await temp.openStore(clock);
    expect(await again.getHalf('TX-6B')).toMatchObject({ checkCount: 1, checks: [{ atMs: T0, clientId: 'p1' }], message: { messageId: 'MSG-6B' } });
    expect(await again.getHalf('TX-6A')).toBeUndefined();
  });
});

describe('LevelStore storage format 8: binary decisions', () => {
  const temp = new TempStores();
  beforeEach(() => temp.setUp());
  afterEach(() => temp.tearDown());

  it("reads a format-7 directory's JSON decisions next to the binary ones it writes from then on: found, repeated, refused and purged", async () => {
    const clock = new FakeClock(T0);
    const decidedAtMs = T0 - 10 * MINUTE;
    await withRaw(temp.dir, async (sub) => {
      await sub('meta').put('formatVersion', Buffer.from('7'));
      await sub('meta').put('topic\x00orders', jsonValue({ name: 'orders', messageType: 'TRANSACTION', queueCount: 1, createdAtMs: T0 - MINUTE }));
      // As formats 5 to 7 wrote it (idRecord): no transaction id, the message id only when it differs.
      const old = {
        topic: 'orders',
        messageId: 'MSG-7',
        state: 'COMMITTED',
        source: 'CLIENT',
        receivedAtMs: decidedAtMs - 5,
        decidedAtMs,
        checkCount: 0,
        keys: ['k'],
        offset: 3,
      };
      await sub('txdecision').put('TX-7', jsonValue(old));
      await sub('txdecisionkey').put(`k\x00${(Number.MAX_SAFE_INTEGER - decidedAtMs).toString(16).padStart(16, '0')}\x00TX-7`, Buffer.alloc(0));
      await sub('txdecisiontime').put(`${decidedAtMs.toString(16).padStart(16, '0')}\x00TX-7`, Buffer.alloc(0));
    });
    const store = await temp.openStore(clock);
    const expected = { transactionId: 'TX-7', messageId: 'MSG-7', topic: 'orders', state: 'COMMITTED', source: 'CLIENT', checkCount: 0, keys: ['k'], offset: 3 };
    expect(await store.getDecision('TX-7')).toMatchObject(expected);
    expect(await store.endTransaction('TX-7', 'COMMIT', 'CLIENT')).toMatchObject({ kind: 'duplicate', decision: expected });
    expect(await store.endTransaction('TX-7', 'ROLLBACK', 'CLIENT')).toMatchObject({ kind: 'conflict' });
    // A retried SendMessage of the decided transaction stores nothing.
    const half = {
      transactionId: 'TX-7',
      message: message('orders', { messageId: 'MSG-7', messageType: 'TRANSACTION', keys: ['k'] }),
      producerGroup: 'orders',
      senderClientId: 'p1',
      budget: 'checks' as const,
    };
    await store.putHalf(half, MINUTE);
    expect(await store.getHalf('TX-7')).toBeUndefined();
    await store.putHalf({ ...half, transactionId: 'TX-8', message: { ...half.message, messageId: 'TX-8' } }, MINUTE);
    expect(await store.endTransaction('TX-8', 'ROLLBACK', 'ADMIN', {}, 'operator', { user: 'ops', clientId: 'cli', address: '10.0.0.1' })).toMatchObject({ kind: 'applied' });
    await store.close();
    const raw = (await withRaw(temp.dir, (sub) => sub('txdecision').get('TX-8')))!;
    expect(raw[0]).toBe(0xd8);
    const again = await temp.openStore(clock);
    expect(await again.getDecision('TX-8')).toEqual({
      transactionId: 'TX-8',
      topic: 'orders',
      messageId: 'TX-8',
      state: 'ROLLED_BACK',
      source: 'ADMIN',
      reason: 'operator',
      receivedAtMs: T0,
      decidedAtMs: T0,
      checkCount: 0,
      keys: ['k'],
      decidedBy: { user: 'ops', clientId: 'cli', address: '10.0.0.1' },
    });
    expect((await again.findDecisions({ key: 'k', limit: 10 })).map((d) => d.transactionId)).toEqual(['TX-8', 'TX-7']);
    expect(await again.purgeDecisions(5 * MINUTE, 10)).toEqual({ deleted: 1, more: false });
    expect(await again.getDecision('TX-7')).toBeUndefined();
    expect((await again.findDecisions({ key: 'k', limit: 10 })).map((d) => d.transactionId)).toEqual(['TX-8']);
  });
});

describe('LevelStore storage format 4: the message index', () => {
  const temp = new TempStores();
  beforeEach(() => temp.setUp());
  afterEach(() => temp.tearDown());

  it('indexes the messages of a format-3 directory by id and key on open', async () => {
    const stored = (offset: number, messageId: string, keys: string[]) => ({
      ...message('orders', { messageId, keys, body: Buffer.from(`m${offset}`) }),
      queueId: 0,
      offset,
      storeTimestampMs: T0 + offset,
    });
    await withRaw(temp.dir, async (sub) => {
      await sub('meta').put('formatVersion', Buffer.from('3'));
      await sub('log').put(logKey('orders', 0, 0), jsonRecord(stored(0, 'OLD-0', ['order-1'])));
      await sub('log').put(logKey('orders', 0, 1), jsonRecord(stored(1, 'OLD-1', ['order-1', 'order-2'])));
    });
    const store = await temp.openStore(new FakeClock(T0));
    expect((await store.findMessages({ messageId: 'OLD-0', limit: 10 })).map((m) => m.offset)).toEqual([0]);
    expect((await store.findMessages({ key: 'order-1', limit: 10 })).map((m) => m.messageId)).toEqual(['OLD-1', 'OLD-0']);
    expect((await store.findMessages({ key: 'order-2', limit: 10 })).map((m) => m.messageId)).toEqual(['OLD-1']);
    await store.close();
    const version = await withRaw(temp.dir, (sub) => sub('meta').get('formatVersion'));
    expect(version?.toString()).toBe(String(STORAGE_FORMAT_VERSION));
  });
});

describe('LevelStore storage format 5: binary in-flight records, history written when an attempt is over', () => {
  const temp = new TempStores();
  beforeEach(() => temp.setUp());
  afterEach(() => temp.tearDown());

  it('opens a format-4 directory: its JSON in-flight deliveries keep their handles and history, and are acked, redelivered and dropped', async () => {
    const topic = 'orders';
    const stored = (offset: number) => ({
      ...message(topic, { messageId: `M${offset}`, body: Buffer.from(`m${offset}`) }),
      queueId: 0,
      offset,
      storeTimestampMs: T0 + offset,
    });
    const token = (offset: number): string => `00000000000${offset}`;
    await withRaw(temp.dir, async (sub) => {
      await sub('meta').put('formatVersion', Buffer.from('4'));
      await sub('meta').put(`topic\x00${topic}`, jsonValue({ name: topic, messageType: 'NORMAL', queueCount: 1, createdAtMs: T0 }));
      for (const offset of [0, 1, 2]) {
        await sub('log').put(logKey(topic, 0, offset), jsonRecord(stored(offset))); // format 4: JSON header
        // Format 4: each delivery has its history record, written with the receive; the in-flight record is JSON.
        await sub('consumer').put(inflightKey(topic, 'g', 0, offset), jsonValue({ offset, attempt: 1, visibleAtMs: T0 + MINUTE, token: token(offset), firstAtMs: T0 }));
        await sub('delivery').put(deliveryKey(topic, 0, offset, 'g', 1), jsonValue({ deliveredAtMs: T0, clientId: 'old-client' }));
      }
      await sub('consumer').put(cursorKey(topic, 'g', 0), Buffer.from('3'));
    });
    const clock = new FakeClock(T0 + 1000);
    let store = await temp.openStore(clock);
    const handle = (offset: number): string => encodeReceiptHandle({ topic, queueId: 0, offset, token: token(offset) });
    expect(await store.deliveryHistory(topic, 0, 0)).toEqual([{ group: 'g', attempt: 1, deliveredAtMs: T0, clientId: 'old-client', outcome: 'IN_FLIGHT' }]);
    expect(await store.ackMany('g', topic, [handle(0)])).toEqual(['ok']);
    expect((await store.deliveryHistory(topic, 0, 0)).map((h) => [h.outcome, h.outcomeAtMs])).toEqual([['ACKED', T0 + 1000]]);
    // Offset 1 expires and is delivered again (its second attempt is a format-5 record), offset 2 is dropped by a reset.
    clock.advance(MINUTE);
    const {
      deliveries: [again],
    } = await store.receive({
      group: 'g',
      topic,
      filter: { kind: 'all' },
      maxMessages: 1,
      invisibleDurationMs: MINUTE,
      maxDeliveryAttempts: 16,
      fifo: false,
      clientId: 'new-client',
    });
    expect([again?.message.offset, again?.deliveryAttempt]).toEqual([1, 2]);
    await store.close();
    expect(await withRaw(temp.dir, async (sub) => (await sub('consumer').get(inflightKey(topic, 'g', 0, 1)))?.[0])).toBe(0x01); // rewritten in the binary form
    store = await temp.openStore(clock);
    expect(await store.ack('g', topic, again!.receiptHandle)).toBe('ok');
    expect((await store.deliveryHistory(topic, 0, 1)).map((h) => [h.attempt, h.clientId, h.outcome])).toEqual([
      [1, 'old-client', 'REDELIVERED'],
      [2, 'new-client', 'ACKED'],
    ]);
    await store.resetOffset('g', topic, { kind: 'latest' });
    expect((await store.deliveryHistory(topic, 0, 2)).map((h) => h.outcome)).toEqual(['DROPPED']);
    await store.close();
    expect((await withRaw(temp.dir, (sub) => sub('meta').get('formatVersion')))?.toString()).toBe(String(STORAGE_FORMAT_VERSION));
  });
});

describe('LevelStore storage format 7: binary delivery history', () => {
  const temp = new TempStores();
  beforeEach(() => temp.setUp());
  afterEach(() => temp.tearDown());

  it("reads a format-6 directory's JSON history records next to the binary ones it writes from then on", async () => {
    const topic = 'orders';
    const clock = new FakeClock(T0);
    let store = await temp.openStore(clock);
    await store.createTopic({ name: topic, messageType: 'NORMAL', queueCount: 1 });
    await store.append(
      topic,
      0,
      [0, 1, 2].map((i) => message(topic, { messageId: `M${i}` })),
    );
    await store.close();
    // Format 6: offset 0 in flight (its attempt expired) with the JSON record of that attempt,
    // offset 2 acked by then (a JSON record with its outcome); offset 1 not delivered yet.
    await withRaw(temp.dir, async (sub) => {
      await sub('meta').put('formatVersion', Buffer.from('6'));
      await sub('consumer').put(inflightKey(topic, 'g', 0, 0), jsonValue({ offset: 0, attempt: 1, visibleAtMs: T0 - 1000, token: '000000000000', firstAtMs: T0 - 3000 }));
      await sub('delivery').put(deliveryKey(topic, 0, 0, 'g', 1), jsonValue({ deliveredAtMs: T0 - 3000, clientId: 'c-old' }));
      await sub('delivery').put(deliveryKey(topic, 0, 2, 'g', 1), jsonValue({ deliveredAtMs: T0 - 3000, clientId: 'c-old', outcome: 'ACKED', atMs: T0 - 2000 }));
      await sub('consumer').put(cursorKey(topic, 'g', 0), Buffer.from('1'));
    });
    store = await temp.openStore(clock);
    const receive = { group: 'g', topic, filter: { kind: 'all' as const }, maxMessages: 2, invisibleDurationMs: MINUTE, maxDeliveryAttempts: 16, fifo: false };
    const { deliveries } = await store.receive({ ...receive, clientId: 'c-new' });
    expect(deliveries.map((d) => [d.message.offset, d.deliveryAttempt])).toEqual([
      [0, 2],
      [1, 1],
    ]);
    clock.advance(1000);
    expect(await store.ackMany('g', topic, [deliveries[0]!.receiptHandle])).toEqual(['ok']);
    expect(await store.forwardToDeadLetter('g', topic, deliveries[1]!.receiptHandle)).toBe('ok');
    await store.close();
    const firstBytes = await withRaw(temp.dir, async (sub) =>
      Promise.all(
        [deliveryKey(topic, 0, 0, 'g', 1), deliveryKey(topic, 0, 0, 'g', 2), deliveryKey(topic, 0, 1, 'g', 1)].map(async (k) => (await sub('delivery').get(k))?.[0]),
      ),
    );
    expect(firstBytes).toEqual([0x7b, 0x01, 0x01]); // the old record as it was ('{'), the new ones binary
    store = await temp.openStore(clock);
    expect(await store.deliveryHistory(topic, 0, 0)).toEqual([
      { group: 'g', attempt: 1, deliveredAtMs: T0 - 3000, clientId: 'c-old', outcome: 'REDELIVERED' },
      { group: 'g', attempt: 2, deliveredAtMs: T0, clientId: 'c-new', outcome: 'ACKED', outcomeAtMs: T0 + 1000 },
    ]);
    expect(await store.deliveryHistory(topic, 0, 1)).toEqual([
      { group: 'g', attempt: 1, deliveredAtMs: T0, clientId: 'c-new', outcome: 'DEAD_LETTERED', outcomeAtMs: T0 + 1000 },
    ]);
    expect(await store.deliveryHistory(topic, 0, 2)).toEqual([
      { group: 'g', attempt: 1, deliveredAtMs: T0 - 3000, clientId: 'c-old', outcome: 'ACKED', outcomeAtMs: T0 - 2000 },
    ]);
    await store.close();
    expect((await withRaw(temp.dir, (sub) => sub('meta').get('formatVersion')))?.toString()).toBe(String(STORAGE_FORMAT_VERSION));
  });
});

async function putFormat1Half(sub: (name: string) => RawSub, transactionId: string, senderClientId: string, keys: string[]): Promise<void> {
  const nextCheckAtMs = T0 - MINUTE;
  const meta: Record<string, unknown> = {
    transactionId,
    producerGroup: 'orders',
    senderClientId,
    receivedAtMs: T0 - 10 * MINUTE,
    nextCheckAtMs,
    state: 'PENDING',
    checkCount: 1,
    topic: 'orders',
    messageId: transactionId,
  };
  if (keys.length > 0) meta.keys = keys;
  await sub('half').put(transactionId, jsonValue(meta));
  await sub('halfbody').put(
    transactionId,
    jsonRecord(message('orders', { messageId: transactionId, messageType: 'TRANSACTION', keys, body: Buffer.from(`half ${transactionId}`) })),
  );
  await sub('checkdue').put(checkDueKey('orders', nextCheckAtMs, transactionId), Buffer.alloc(0));
}

function decision(transactionId: string, decidedAtMs: number, keys: string[] | undefined): Record<string, unknown> {
  const d: Record<string, unknown> = {
    transactionId,
    topic: 'orders',
    messageId: transactionId,
    state: 'COMMITTED',
    source: 'CLIENT',
    receivedAtMs: decidedAtMs - 1_000,
    decidedAtMs,
    checkCount: 0,
  };
  if (keys) d.keys = keys;
  return d;
}

describe('LevelStore storage format 5: binary message records', () => {
  const temp = new TempStores();
  beforeEach(() => temp.setUp());
  afterEach(() => temp.tearDown());

  it('reads the JSON records of a format-4 directory as they are: committed, half and DELAY messages', async () => {
    const clock = new FakeClock(T0);
    await withRaw(temp.dir, async (sub) => {
      await sub('meta').put('formatVersion', Buffer.from('4'));
      await sub('meta').put('topic\x00orders', jsonValue({ name: 'orders', messageType: 'NORMAL', queueCount: 1, createdAtMs: T0 - MINUTE }));
      await sub('meta').put('topic\x00ordersTx', jsonValue({ name: 'ordersTx', messageType: 'TRANSACTION', queueCount: 1, createdAtMs: T0 - MINUTE }));
      const old = {
        ...message('orders', { messageId: 'OLD-0', keys: ['k1'], tag: 'TagA', userProperties: { a: 'b' }, body: Buffer.from('old body') }),
        queueId: 0,
        offset: 0,
        storeTimestampMs: T0 - 1,
      };
      await sub('log').put(logKey('orders', 0, 0), jsonRecord(old));
      await sub('msgindex').put(`id\x00OLD-0\x00orders\x00${'0'.repeat(16)}\x00${'0'.repeat(16)}`, Buffer.alloc(0));
      const meta = {
        transactionId: 'TX-4',
        producerGroup: 'ordersTx',
        senderClientId: 'p1',
        receivedAtMs: T0 - MINUTE,
        nextCheckAtMs: T0 + MINUTE,
        state: 'PENDING',
        budget: 'checks',
        checkCount: 0,
        topic: 'ordersTx',
        messageId: 'TX-4',
      };
      await sub('half').put('TX-4', jsonValue(meta));
      await sub('halfbody').put('TX-4', jsonRecord(message('ordersTx', { messageId: 'TX-4', messageType: 'TRANSACTION', body: Buffer.from('half body') })));
      await sub('checkdue').put(checkDueKey('ordersTx', T0 + MINUTE, 'TX-4'), Buffer.alloc(0));
      const delayed = { ...message('orders', { messageId: 'DLY-0', messageType: 'DELAY', deliveryTimestampMs: T0 - 1, body: Buffer.from('delayed body') }), queueId: 0 };
      await sub('scheduled').put(`${(T0 - 1).toString(16).padStart(16, '0')}\x00${'0'.repeat(16)}`, jsonRecord(delayed));
    });
    const store = await temp.openStore(clock);
    const [first] = await store.read('orders', 0, 0, 10);
    expect(first).toMatchObject({ messageId: 'OLD-0', keys: ['k1'], tag: 'TagA', userProperties: { a: 'b' }, offset: 0 });
    expect(first!.body.toString()).toBe('old body');
    expect((await store.findMessages({ messageId: 'OLD-0', limit: 10 })).map((m) => m.body.toString())).toEqual(['old body']);
    expect((await store.getHalf('TX-4'))!.message.body.toString()).toBe('half body');
    const ended = await store.endTransaction('TX-4', 'COMMIT', 'CLIENT');
    expect(ended.kind).toBe('applied');
    const [committed] = await store.read('ordersTx', 0, 0, 10);
    expect(committed).toMatchObject({ messageId: 'TX-4', transactionId: 'TX-4', offset: 0 });
    expect(committed!.body.toString()).toBe('half body');
    expect(await store.promoteDueScheduled(10)).toBe(1);
    const promoted = await store.read('orders', 0, 1, 10);
    expect(promoted.map((m) => [m.messageId, m.offset, m.body.toString()])).toEqual([['DLY-0', 1, 'delayed body']]);
    await store.close();
    expect((await withRaw(temp.dir, (sub) => sub('meta').get('formatVersion')))?.toString()).toBe(String(STORAGE_FORMAT_VERSION));
    // What this version wrote is binary; the old record was left as it was.
    await withRaw(temp.dir, async (sub) => {
      expect((await sub('log').get(logKey('ordersTx', 0, 0)))![0]).toBe(0xb1);
      expect((await sub('log').get(logKey('orders', 0, 0)))![0]).toBe(0);
    });
  });

  it('stores half-message metadata and decisions without their transaction id (the key) and without a message id equal to it', async () => {
    const clock = new FakeClock(T0);
    const store = await temp.openStore(clock);
    await store.createTopic({ name: 'tx', messageType: 'TRANSACTION', queueCount: 1 });
    const half = (transactionId: string, messageId: string) => ({
      transactionId,
      message: message('tx', { messageId, messageType: 'TRANSACTION', keys: ['k'] }),
      producerGroup: 'tx',
      senderClientId: 'p1',
      budget: 'checks' as const,
    });
    await store.putHalf(half('TX-SAME', 'TX-SAME'), MINUTE);
    await store.putHalf(half('TX-OTHER', 'MSG-OTHER'), MINUTE);
    const bytes = async (sub: string, id: string) => (await withRaw(temp.dir, (s) => s(sub).get(id)))!;
    await store.close();
    // Metadata is binary (format 7): the ids are absent from the value unless they differ.
    expect((await bytes('half', 'TX-SAME')).includes('TX-SAME')).toBe(false);
    expect((await bytes('half', 'TX-OTHER')).includes('TX-OTHER')).toBe(false);
    expect((await bytes('half', 'TX-OTHER')).includes('MSG-OTHER')).toBe(true);
    const again = await temp.openStore(clock);
    expect(await again.getHalf('TX-SAME')).toMatchObject({ transactionId: 'TX-SAME', state: 'PENDING', message: { messageId: 'TX-SAME' } });
    expect((await again.listTransactions({})).map((h) => [h.transactionId, h.message.messageId]).sort()).toEqual([
      ['TX-OTHER', 'MSG-OTHER'],
      ['TX-SAME', 'TX-SAME'],
    ]);
    expect(await again.pendingTransactionCount('tx')).toBe(2);
    await again.endTransaction('TX-SAME', 'COMMIT', 'CLIENT');
    await again.endTransaction('TX-OTHER', 'ROLLBACK', 'CLIENT', { messageId: 'MSG-OTHER' });
    await again.close();
    // Decisions are binary (format 8): the ids are absent from the value unless they differ.
    expect((await bytes('txdecision', 'TX-SAME'))[0]).toBe(0xd8);
    expect((await bytes('txdecision', 'TX-SAME')).includes('TX-SAME')).toBe(false);
    expect((await bytes('txdecision', 'TX-OTHER')).includes('TX-OTHER')).toBe(false);
    expect((await bytes('txdecision', 'TX-OTHER')).includes('MSG-OTHER')).toBe(true);
    const third = await temp.openStore(clock);
    expect(await third.getDecision('TX-SAME')).toMatchObject({ transactionId: 'TX-SAME', messageId: 'TX-SAME', state: 'COMMITTED', offset: 0 });
    expect((await third.findDecisions({ key: 'k', limit: 10 })).map((d) => [d.transactionId, d.messageId]).sort()).toEqual([
      ['TX-OTHER', 'MSG-OTHER'],
      ['TX-SAME', 'TX-SAME'],
    ]);
    expect(await third.endTransaction('TX-SAME', 'COMMIT', 'CLIENT')).toMatchObject({ kind: 'duplicate', decision: { transactionId: 'TX-SAME' } });
  });
});
