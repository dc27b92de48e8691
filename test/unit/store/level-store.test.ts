// Runs the BrokerStore contract against LevelStore (a fresh temp directory per test), plus the
// LevelStore-specific behaviour: data surviving a real close + reopen on the same directory,
// group commit of concurrent writes, the data-directory lock, and use after close.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BrokerError, Code } from '../../../src/errors.js';
import { Level } from 'level';
import { LevelStore } from '../../../src/store/level/index.js';
import { FakeClock } from '../../../src/util/clock.js';
import { makeMessage, storeContract, type StoreHarness } from './contract/index.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'halfmoon-store-'));
}

async function levelHarness(clock: FakeClock, durable = false): Promise<StoreHarness & { dir: string }> {
  const dir = await tempDir();
  let current = new LevelStore({ path: dir, clock, durable });
  await current.open();
  return {
    dir,
    store: current,
    reopen: async () => {
      await current.close();
      current = new LevelStore({ path: dir, clock, durable });
      await current.open();
      return current;
    },
    cleanup: async () => {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

storeContract('LevelStore', (clock) => levelHarness(clock), { sharedAcrossProcesses: false, persistent: true });

/** A batch op as LevelDB gets it: the key prefixed by its sublevel. */
type BatchOp = { key: string; value?: Buffer };

/**
 * White box: hands `watch` the ops of every physical batch the store writes (before writing it,
 * which waits for `watch`).
 */
function watchBatches(store: LevelStore, watch: (ops: BatchOp[]) => void | Promise<void>): void {
  type Sink = { put(key: string, value: Buffer): void; del(key: string): void };
  const native = (store as unknown as { d: { native: { write(sync: boolean, fill: (sink: Sink) => void): Promise<void> } } }).d.native;
  const write = native.write.bind(native);
  native.write = async (sync, fill) => {
    const ops: BatchOp[] = [];
    fill({ put: (key, value) => ops.push({ key, value }), del: (key) => ops.push({ key }) });
    await watch(ops);
    return write(sync, fill);
  };
}

describe('LevelStore', () => {
  let clock: FakeClock;
  let dir: string;
  const open: LevelStore[] = [];

  async function openStore(options: { durable?: boolean; maxScanPerReceive?: number } = {}): Promise<LevelStore> {
    const store = new LevelStore({ path: dir, clock, ...options });
    await store.open();
    open.push(store);
    return store;
  }

  beforeEach(async () => {
    clock = new FakeClock();
    dir = await tempDir();
  });

  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps everything across close and a new instance on the same directory (durable)', async () => {
    const first = await openStore({ durable: true });
    await first.createTopic({ name: 'orders', messageType: 'TRANSACTION', queueCount: 1 });
    await first.createTopic({ name: 'delayed', messageType: 'DELAY', queueCount: 1 });
    await first.append('orders', 0, [makeMessage('orders', { body: Buffer.from('plain') })]);
    await first.putHalf(
      {
        transactionId: 'TX-1',
        message: makeMessage('orders', { messageId: 'TX-1', messageType: 'TRANSACTION', body: Buffer.from('half-1') }),
        producerGroup: 'orders',
        senderClientId: 'p1',
        budget: 'checks',
      },
      1000,
    );
    await first.putHalf(
      {
        transactionId: 'TX-2',
        message: makeMessage('orders', { messageId: 'TX-2', messageType: 'TRANSACTION', body: Buffer.from('half-2') }),
        producerGroup: 'orders',
        senderClientId: 'p1',
        budget: 'checks',
      },
      1000,
    );
    await first.endTransaction('TX-2', 'COMMIT', 'CLIENT');
    await first.schedule('delayed', 0, [makeMessage('delayed', { deliveryTimestampMs: clock.now() + 5000, body: Buffer.from('later') })]);
    const [delivery] = (
      await first.receive({
        group: 'g',
        topic: 'orders',
        filter: { kind: 'all' },
        maxMessages: 1,
        invisibleDurationMs: 10_000,
        maxDeliveryAttempts: 16,
        fifo: false,
      })
    ).deliveries;
    await first.close();
    await first.close(); // idempotent

    const second = await openStore({ durable: true });
    expect((await second.listTopics()).map((t) => t.name).sort()).toEqual(['delayed', 'orders']);
    expect((await second.read('orders', 0, 0, 10)).map((m) => [m.offset, m.body.toString(), m.transactionId])).toEqual([
      [0, 'plain', undefined],
      [1, 'half-2', 'TX-2'],
    ]);
    expect((await second.getHalf('TX-1'))?.message.body.toString()).toBe('half-1');
    expect(await second.getHalf('TX-2')).toBeUndefined();
    expect((await second.getDecision('TX-2'))?.state).toBe('COMMITTED');
    expect(await second.transactionCounters()).toMatchObject({ pending: 1, committed: 1 });
    expect(await second.pendingProducerGroups()).toEqual(['orders']);
    expect(await second.nextScheduledInMs()).toBe(5000);
    expect(await second.groupStats('g')).toEqual([{ group: 'g', topic: 'orders', consumedOffset: 1, lag: 1, inFlight: 1 }]);
    expect(await second.nextRedeliveryInMs('g', 'orders')).toBe(delivery!.invisibleUntilMs - clock.now());
    expect(await second.ack('g', 'orders', delivery!.receiptHandle)).toBe('ok');
    const [next] = await second.append('orders', 0, [makeMessage('orders')]);
    expect(next!.offset).toBe(2);
  });

  it('group-commits concurrent writes into fewer physical batches', async () => {
    const store = await openStore({ durable: true });
    await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
    await store.append('t', 0, [makeMessage('t')]);
    const before = store.writeStats;
    const n = 100;
    const results = await Promise.all(Array.from({ length: n }, () => store.append('t', 0, [makeMessage('t')])));
    const after = store.writeStats;
    expect(after.transitions - before.transitions).toBe(n);
    // The first write goes alone; everything that queued up behind it shares a batch.
    expect(after.batches - before.batches).toBeLessThan(n / 4);
    expect(
      results
        .flat()
        .map((m) => m.offset)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  it('writes the transaction counters once per batch, and they survive a reopen', async () => {
    const store = await openStore({ durable: true });
    await store.createTopic({ name: 'tx', messageType: 'TRANSACTION', queueCount: 1 });
    const ids = Array.from({ length: 20 }, (_, i) => `TX-C${i}`);
    for (const id of ids) {
      await store.putHalf(
        { transactionId: id, message: makeMessage('tx', { messageType: 'TRANSACTION', messageId: id }), producerGroup: 'g', senderClientId: 'p', budget: 'checks' },
        60_000,
      );
    }
    // White box: count the counters record in every batch handed to LevelDB.
    const perBatch: number[] = [];
    watchBatches(store, (ops) => void perBatch.push(ops.filter((op) => op.key === '!meta!counters').length));
    await Promise.all(ids.map((id, i) => store.endTransaction(id, i % 2 === 0 ? 'COMMIT' : 'ROLLBACK', 'CLIENT')));
    expect(perBatch.length).toBeLessThan(ids.length);
    expect(perBatch.every((n) => n === 1)).toBe(true);
    await store.close();
    const again = await openStore();
    expect(await again.transactionCounters()).toMatchObject({ pending: 0, committed: 10, rolledBack: 10 });
  });

  it('a group created while the first appends are still being written does not skip them', async () => {
    const store = await openStore();
    await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
    await store.queueStats('t'); // queue head loaded
    // White box: hold LevelDB batches until released, so the appends stay queued.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    watchBatches(store, () => gate);
    const pending = store.append('t', 0, [makeMessage('t', { body: Buffer.from('a') }), makeMessage('t', { body: Buffer.from('b') })]);
    await new Promise((r) => setImmediate(r));
    const req = { group: 'g', topic: 't', filter: { kind: 'all' as const }, maxMessages: 10, invisibleDurationMs: 10_000, maxDeliveryAttempts: 16, fifo: false };
    expect((await store.receive(req)).deliveries).toEqual([]);
    release();
    await pending;
    const { deliveries } = await store.receive(req);
    expect(deliveries.map((d) => d.message.body.toString())).toEqual(['a', 'b']);
  });

  it('refuses a second instance on a directory in use, with a clear error', async () => {
    await openStore();
    const intruder = new LevelStore({ path: dir, clock });
    const err = await intruder.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe(Code.INTERNAL_ERROR);
    expect((err as BrokerError).message).toMatch(/another broker/);
  });

  it('rejects writes after close with a BrokerError', async () => {
    const store = await openStore();
    await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
    await store.append('t', 0, [makeMessage('t')]);
    await store.close();
    const err = await store.append('t', 0, [makeMessage('t')]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe(Code.INTERNAL_ERROR);
  });

  it('close waits for queued writes; writes it overtakes fail cleanly and are not stored', async () => {
    const store = await openStore({ durable: true });
    await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
    await store.append('t', 0, [makeMessage('t', { body: Buffer.from('seed') })]);
    const queued = Array.from({ length: 20 }, (_, i) => store.append('t', 0, [makeMessage('t', { body: Buffer.from(`q${i}`) })]));
    // Let every append reach the writer queue, then close while batches are in flight.
    await new Promise((r) => setImmediate(r));
    const late = Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.append('t', 0, [makeMessage('t', { body: Buffer.from(`late${i}`) })])));
    await store.close();
    const queuedResults = await Promise.allSettled(queued);
    expect(queuedResults.every((r) => r.status === 'fulfilled')).toBe(true);
    const lateResults = await late;
    for (const r of lateResults) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(BrokerError);
    }
    const fulfilledLate = lateResults.filter((r) => r.status === 'fulfilled').length;
    const reopened = await openStore();
    const log = await reopened.read('t', 0, 0, 100);
    expect(log).toHaveLength(21 + fulfilledLate);
    expect(log.map((m) => m.offset)).toEqual(Array.from({ length: 21 + fulfilledLate }, (_, i) => i));
  });

  it('a receive bounded by maxScanPerReceive resumes where it stopped', async () => {
    const store = await openStore({ maxScanPerReceive: 5 });
    await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
    await store.append('t', 0, [...Array.from({ length: 12 }, () => makeMessage('t', { tag: 'skip' })), makeMessage('t', { tag: 'want', body: Buffer.from('found') })]);
    const req = {
      group: 'g',
      topic: 't',
      filter: { kind: 'tags' as const, tags: new Set(['want']) },
      maxMessages: 10,
      invisibleDurationMs: 10_000,
      maxDeliveryAttempts: 16,
      fifo: false,
    };
    // Each call that stops at the scan limit says so (the consumer service then calls again at once).
    const first = await store.receive(req);
    expect(first).toEqual({ deliveries: [], deadLettered: [], scanLimited: true });
    expect((await store.receive(req)).scanLimited).toBe(true);
    const third = await store.receive(req);
    expect(third.deliveries.map((d) => d.message.body.toString())).toEqual(['found']);
    expect(third.scanLimited).toBeUndefined();
    expect(await store.receive(req)).toEqual({ deliveries: [], deadLettered: [] });
    expect(await store.groupStats('g')).toEqual([{ group: 'g', topic: 't', consumedOffset: 13, lag: 0, inFlight: 1 }]);
  });

  it('size-based retention keeps the newest messages within maxBytes (stored size, counted once then tracked)', async () => {
    const store = await openStore();
    await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
    const body = (): Buffer => Buffer.alloc(1000, 'x');
    await store.append(
      't',
      0,
      Array.from({ length: 10 }, () => makeMessage('t', { body: body() })),
    );
    // Each stored record is a little over 1000 bytes: 5500 bytes hold 4 or 5 of them.
    const first = await store.purgeQueue('t', 0, { maxBytes: 5500, maxMessages: 100 });
    expect(first.deleted === 5 || first.deleted === 6).toBe(true);
    const kept = 10 - first.deleted;
    // Appends after the first count are tracked: 10 more push the queue over again.
    await store.append(
      't',
      0,
      Array.from({ length: 10 }, () => makeMessage('t', { body: body() })),
    );
    const second = await store.purgeQueue('t', 0, { maxBytes: 5500, maxMessages: 100 });
    expect(second.deleted).toBe(10);
    expect(await store.read('t', 0, 0, 100)).toHaveLength(kept);
  });

  it('a restart does not reset a purged queue: stats, new groups and reset-offset start at the purge point', async () => {
    let store = await openStore();
    await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
    await store.append(
      't',
      0,
      Array.from({ length: 3 }, () => makeMessage('t')),
    );
    await store.purgeQueue('t', 0, { olderThanMs: 0, maxMessages: 10 });
    await store.close();
    store = await openStore();
    expect(await store.resetOffset('g', 't', { kind: 'earliest' })).toEqual([{ topic: 't', queueId: 0, previousOffset: 3, newOffset: 3, droppedInFlight: 0 }]);
    expect(await store.groupStats('g')).toEqual([{ group: 'g', topic: 't', consumedOffset: 3, lag: 0, inFlight: 0 }]);
  });

  it('quarantines unreadable transactions on their own: the others are still checked, the broken ones are never retried', async () => {
    let store = await openStore();
    await store.createTopic({ name: 'tx', messageType: 'TRANSACTION', queueCount: 1 });
    for (const id of ['TX-GOOD', 'TX-NOBODY', 'TX-BADBODY', 'TX-BADMETA']) {
      await store.putHalf(
        {
          transactionId: id,
          message: makeMessage('tx', { messageType: 'TRANSACTION', messageId: id }),
          producerGroup: 'tx',
          senderClientId: 'p1',
          budget: 'checks',
        },
        0,
      );
    }
    await store.close();
    // Damage three records behind the store's back, as a disk or a bug might.
    const raw = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    const sub = (name: string) => raw.sublevel<string, Buffer>(name, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    await sub('halfbody').del('TX-NOBODY');
    await sub('halfbody').put('TX-BADBODY', Buffer.from('xx'));
    await sub('half').put('TX-BADMETA', Buffer.from('{not json'));
    await raw.close();

    store = await openStore(); // an unreadable record does not stop the store from opening
    // The counts are those the clean close recorded: the damage is not seen until the record is read.
    expect(await store.transactionCounters()).toMatchObject({ pending: 4, abandoned: 0 });
    const claim = () => store.claimDueChecks({ producerGroup: 'tx', limit: 10, nextCheckInMs: 1000, budget: { checkMax: 5, maxAgeMs: 3_600_000 }, targets: ['p1'] });
    const first = await claim();
    expect(first.claimed.map((h) => h.transactionId)).toEqual(['TX-GOOD']);
    const reasons = Object.fromEntries(first.quarantined.map((q) => [q.transactionId, q.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['TX-BADBODY', 'TX-BADMETA', 'TX-NOBODY']);
    expect(reasons['TX-NOBODY']).toContain('body is missing');
    expect(reasons['TX-BADBODY']).toContain('body is unreadable');
    expect(reasons['TX-BADMETA']).toContain('record is unreadable');
    expect(await store.transactionCounters()).toMatchObject({ pending: 1, abandoned: 2 });

    // Visible to an operator, and never claimed again.
    const abandoned = await store.listTransactions({ state: 'ABANDONED' });
    expect(abandoned.map((h) => [h.transactionId, h.abandonReason?.startsWith('quarantined: ')]).sort()).toEqual([
      ['TX-BADBODY', true],
      ['TX-NOBODY', true],
    ]);
    clock.advance(2000);
    const second = await claim();
    expect(second.claimed.map((h) => h.transactionId)).toEqual(['TX-GOOD']);
    expect(second.quarantined).toEqual([]);
    // An operator can still look it up (without a body), and a rollback needs no body; a commit says why it cannot be done.
    expect(await store.getHalf('TX-NOBODY')).toMatchObject({ state: 'ABANDONED', message: { messageId: 'TX-NOBODY', body: Buffer.alloc(0) } });
    expect((await store.endTransaction('TX-NOBODY', 'ROLLBACK', 'ADMIN')).kind).toBe('applied');
    await expect(store.endTransaction('TX-BADBODY', 'COMMIT', 'ADMIN')).rejects.toThrow('unreadable: it can only be rolled back');
  });

  it('never rewrites a half message body: claims, releases and abandoning touch only its small check record', async () => {
    const store = await openStore();
    await store.createTopic({ name: 'tx', messageType: 'TRANSACTION', queueCount: 1 });
    // Watch every batch the store hands to LevelDB (keys carry their sublevel's prefix): where each op goes, and its size.
    const written: { where: string; bytes: number }[] = [];
    watchBatches(store, (ops) => {
      for (const op of ops) written.push({ where: op.key, bytes: op.value?.length ?? 0 });
    });
    await store.putHalf(
      {
        transactionId: 'TX-B',
        message: makeMessage('tx', { messageType: 'TRANSACTION', messageId: 'TX-B', body: Buffer.alloc(64 * 1024, 7) }),
        producerGroup: 'tx',
        senderClientId: 'p1',
        budget: 'checks',
      },
      0,
    );
    expect(written.filter((w) => w.where === '!halfbody!TX-B').map((w) => w.bytes > 64 * 1024)).toEqual([true]); // the one body write
    written.length = 0;
    for (let i = 0; i < 3; i++) {
      const { claimed } = await store.claimDueChecks({ producerGroup: 'tx', limit: 10, nextCheckInMs: 1000, budget: { checkMax: 10, maxAgeMs: 3_600_000 }, targets: ['p1'] });
      expect(claimed).toHaveLength(1);
      await store.releaseCheck('TX-B');
    }
    await store.abandonTransaction('TX-B', 'kept');
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((w) => w.where.startsWith('!halfbody!'))).toEqual([]);
    expect(Math.max(...written.map((w) => w.bytes))).toBeLessThan(2048);
    expect((await store.getHalf('TX-B'))!.message.body).toEqual(Buffer.alloc(64 * 1024, 7));
  });

  it('scans a backlog of due checks on from where the last full batch ended; a key before it is found once a batch is not full', async () => {
    const store = await openStore();
    await store.createTopic({ name: 'tx', messageType: 'TRANSACTION', queueCount: 1 });
    const half = (id: string, firstCheckInMs: number) =>
      store.putHalf(
        { transactionId: id, message: makeMessage('tx', { messageType: 'TRANSACTION', messageId: id }), producerGroup: 'tx', senderClientId: 'p1', budget: 'checks' },
        firstCheckInMs,
      );
    for (let i = 0; i < 12; i++) await half(`TX-${String(i).padStart(2, '0')}`, i);
    clock.advance(100);
    const claim = async () =>
      (await store.claimDueChecks({ producerGroup: 'tx', limit: 5, nextCheckInMs: 60_000, budget: { checkMax: 10, maxAgeMs: 3_600_000 }, targets: ['p1'] })).claimed.map(
        (h) => h.transactionId,
      );
    expect(await claim()).toEqual(['TX-00', 'TX-01', 'TX-02', 'TX-03', 'TX-04']);
    await half('TX-EARLY', -1_000); // due before the cursor (as with a clock set back)
    expect(await claim()).toEqual(['TX-05', 'TX-06', 'TX-07', 'TX-08', 'TX-09']);
    expect(await claim()).toEqual(['TX-10', 'TX-11']); // not full: the run is over
    expect(await claim()).toEqual(['TX-EARLY']); // the next scan starts from the beginning
  });
});
