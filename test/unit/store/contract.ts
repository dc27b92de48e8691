// Owns the backend-agnostic BrokerStore contract: every storage backend (LevelDB now,
// PostgreSQL later) runs this suite through `storeContract(name, makeStore)`. Tests talk to the
// store only through the BrokerStore interface and drive time with a FakeClock, so the same
// assertions hold for any backend. Wake-ups (onAppend) are lossy hints, so they are awaited
// with vi.waitFor rather than expected synchronously.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokerError, Code, type CodeValue } from '../../../src/errors.js';
import type { BrokerStore, ClaimChecksRequest } from '../../../src/store/broker-store.js';
import type { Delivery, ReceiveRequest } from '../../../src/domain/consumption.js';
import type { MessageInput, MessageType, StoredMessage } from '../../../src/domain/messages.js';
import type { HalfMessage } from '../../../src/domain/transactions.js';
import type { FakeClock } from '../../../src/util/clock.js';
import { FakeClock as Clock } from '../../../src/util/clock.js';

export interface StoreHarness {
  /** An opened, empty store whose clock is the FakeClock given to makeStore. */
  store: BrokerStore;
  /** Closes the store and opens a new instance over the same data (a broker restart). */
  reopen?: () => Promise<BrokerStore>;
  /** Closes whatever store instance is current and removes its data. */
  cleanup: () => Promise<void>;
}

export type MakeStore = (clock: FakeClock) => Promise<StoreHarness>;

type HalfInput = Omit<HalfMessage, 'state' | 'checkCount' | 'lastCheckAtMs' | 'lastCheckClientId'>;

const SECOND = 1000;
let messageSeq = 0;

/** A producer's message with a unique id and body. */
export function makeMessage(topic: string, over: Partial<MessageInput> = {}): MessageInput {
  messageSeq++;
  return {
    topic,
    messageId: `MSG${String(messageSeq).padStart(8, '0')}`,
    messageType: 'NORMAL',
    body: Buffer.from(`body-${messageSeq}`),
    keys: [],
    userProperties: {},
    bornTimestampMs: 1_600_000_000_000,
    bornHost: '127.0.0.1',
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (err: unknown) => err,
  );
}

async function expectBrokerError(p: Promise<unknown>, code: CodeValue): Promise<BrokerError> {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(BrokerError);
  expect((err as BrokerError).code).toBe(code);
  return err as BrokerError;
}

const bodies = (ms: { body: Buffer }[]): string[] => ms.map((m) => m.body.toString('utf8'));
const offsets = (ms: { offset: number }[]): number[] => ms.map((m) => m.offset);
const deliveredBodies = (ds: Delivery[]): string[] => ds.map((d) => d.message.body.toString('utf8'));
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

export function storeContract(name: string, makeStore: MakeStore): void {
  describe(`BrokerStore contract: ${name}`, () => {
    let clock: FakeClock;
    let harness: StoreHarness;
    let store: BrokerStore;

    beforeEach(async () => {
      clock = new Clock();
      harness = await makeStore(clock);
      store = harness.store;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    // ---------------------------------------------------------------------------------------
    // helpers bound to the current store and clock

    async function topic(name: string, messageType: MessageType = 'NORMAL'): Promise<string> {
      await store.createTopic({ name, messageType, queueCount: 1 });
      return name;
    }

    async function appendBodies(t: string, ...texts: string[]): Promise<StoredMessage[]> {
      return store.append(
        t,
        0,
        texts.map((text) => makeMessage(t, { body: Buffer.from(text) })),
      );
    }

    function request(group: string, t: string, over: Partial<ReceiveRequest> = {}): ReceiveRequest {
      return {
        group,
        topic: t,
        filter: { kind: 'all' },
        maxMessages: 32,
        invisibleDurationMs: 30 * SECOND,
        maxDeliveryAttempts: 16,
        fifo: false,
        ...over,
      };
    }

    async function receive(group: string, t: string, over: Partial<ReceiveRequest> = {}): Promise<Delivery[]> {
      const result = await store.receive(request(group, t, over));
      expect(result.deadLettered).toEqual([]);
      return result.deliveries;
    }

    function half(t: string, transactionId: string, over: Partial<HalfInput> = {}): HalfInput {
      return {
        transactionId,
        message: makeMessage(t, { messageType: 'TRANSACTION', messageId: transactionId, body: Buffer.from(`tx-${transactionId}`) }),
        producerGroup: t,
        senderClientId: 'producer-1',
        receivedAtMs: clock.now(),
        nextCheckAtMs: clock.now() + 6 * SECOND,
        ...over,
      };
    }

    function claim(producerGroup: string, over: Partial<ClaimChecksRequest> = {}) {
      return store.claimDueChecks({
        producerGroup,
        limit: 100,
        nextCheckInMs: 60 * SECOND,
        checkMax: 15,
        clientId: 'checker-1',
        ...over,
      });
    }

    async function readAll(t: string): Promise<StoredMessage[]> {
      return store.read(t, 0, 0, 10_000);
    }

    // ---------------------------------------------------------------------------------------
    describe('topics and groups', () => {
      it('creates a topic once; creating it again with the same type returns the existing record', async () => {
        const first = await store.createTopic({ name: 'orders', messageType: 'NORMAL', queueCount: 1 });
        expect(first.created).toBe(true);
        expect(first.topic).toEqual({ name: 'orders', messageType: 'NORMAL', queueCount: 1, createdAtMs: clock.now() });

        clock.advance(5 * SECOND);
        const again = await store.createTopic({ name: 'orders', messageType: 'NORMAL', queueCount: 1 });
        expect(again.created).toBe(false);
        expect(again.topic).toEqual(first.topic);
        expect(await store.getTopic('orders')).toEqual(first.topic);
      });

      it('rejects re-creating a topic with another message type (BAD_REQUEST) and keeps the original', async () => {
        await topic('payments', 'TRANSACTION');
        const err = await expectBrokerError(store.createTopic({ name: 'payments', messageType: 'FIFO', queueCount: 1 }), Code.BAD_REQUEST);
        expect(err.message).toMatch(/payments/);
        expect((await store.getTopic('payments'))?.messageType).toBe('TRANSACTION');
      });

      it('concurrent creates of one topic create it exactly once', async () => {
        const results = await Promise.all(range(8).map(() => store.createTopic({ name: 'race', messageType: 'FIFO', queueCount: 1 })));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.topic.createdAtMs)).size).toBe(1);
        expect(await store.listTopics()).toHaveLength(1);
      });

      it('lists topics and returns undefined for unknown ones', async () => {
        expect(await store.listTopics()).toEqual([]);
        expect(await store.getTopic('nope')).toBeUndefined();
        await topic('a', 'NORMAL');
        await topic('b', 'FIFO');
        await topic('c', 'DELAY');
        const listed = await store.listTopics();
        expect(listed.map((t) => [t.name, t.messageType]).sort()).toEqual([
          ['a', 'NORMAL'],
          ['b', 'FIFO'],
          ['c', 'DELAY'],
        ]);
      });

      it('deleteTopic removes the topic and its messages; deleting again returns false', async () => {
        const t = await topic('gone');
        const other = await topic('kept');
        await appendBodies(t, 'x', 'y');
        await appendBodies(other, 'z');
        expect(await store.deleteTopic(t)).toBe(true);
        expect(await store.getTopic(t)).toBeUndefined();
        expect(await readAll(t)).toEqual([]);
        expect(await store.queueStats(t)).toEqual([]);
        expect(await store.deleteTopic(t)).toBe(false);
        expect(await store.deleteTopic('never-existed')).toBe(false);
        // Other topics are untouched.
        expect(bodies(await readAll(other))).toEqual(['z']);
        expect((await store.listTopics()).map((r) => r.name)).toEqual(['kept']);
      });

      it('a topic deleted and created again starts empty, and consumers see its new messages', async () => {
        const t = await topic('phoenix');
        await appendBodies(t, 'old-1', 'old-2', 'old-3');
        const ds = await receive('g', t);
        expect(ds).toHaveLength(3);
        await store.ack('g', t, ds[0]!.receiptHandle);

        await store.deleteTopic(t);
        await topic('phoenix');
        expect(await readAll(t)).toEqual([]);
        await appendBodies(t, 'new-1');
        expect(bodies(await readAll(t))).toEqual(['new-1']);
        expect(deliveredBodies(await receive('g', t))).toEqual(['new-1']);
      });

      it('queueStats reports the retained offset range of each queue', async () => {
        expect(await store.queueStats('unknown')).toEqual([]);
        const t = await topic('stats');
        expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 0, maxOffset: 0 }]);
        await appendBodies(t, 'a', 'b', 'c');
        expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 0, maxOffset: 3 }]);
      });

      it('upserts groups, keeping their creation time', async () => {
        expect(await store.getGroup('cg')).toBeUndefined();
        const created = await store.upsertGroup({ name: 'cg', fifo: false, maxDeliveryAttempts: 17 });
        expect(created).toEqual({ name: 'cg', fifo: false, maxDeliveryAttempts: 17, createdAtMs: clock.now() });
        clock.advance(SECOND);
        const updated = await store.upsertGroup({ name: 'cg', fifo: true, maxDeliveryAttempts: 3 });
        expect(updated).toEqual({ name: 'cg', fifo: true, maxDeliveryAttempts: 3, createdAtMs: created.createdAtMs });
        expect(await store.getGroup('cg')).toEqual(updated);
        await store.upsertGroup({ name: 'other', fifo: false, maxDeliveryAttempts: 17 });
        expect((await store.listGroups()).map((g) => g.name).sort()).toEqual(['cg', 'other']);
      });

      it('createGroup creates once; concurrent or repeated creates return the first record unchanged', async () => {
        const results = await Promise.all(range(4).map((i) => store.createGroup({ name: 'cg', fifo: i % 2 === 0, maxDeliveryAttempts: 3 + i })));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const first = results.find((r) => r.created)!.group;
        for (const r of results) expect(r.group).toEqual(first);
        expect(await store.getGroup('cg')).toEqual(first);
        clock.advance(SECOND);
        expect(await store.createGroup({ name: 'cg', fifo: true, maxDeliveryAttempts: 99 })).toEqual({ group: first, created: false });
      });
    });

    // ---------------------------------------------------------------------------------------
    describe('append and read', () => {
      it('assigns offsets from 0 and stores every field of the message', async () => {
        const t = await topic('log');
        const input = makeMessage(t, {
          tag: 'TagA',
          keys: ['k1', 'k2'],
          messageGroup: 'mg',
          userProperties: { a: '1', 'b-c': 'two' },
          body: Buffer.from([0, 1, 2, 255, 254]),
          bornHost: '10.0.0.1',
        });
        const [stored] = await store.append(t, 0, [input]);
        expect(stored).toEqual({ ...input, queueId: 0, offset: 0, storeTimestampMs: clock.now() });
        const [read] = await store.read(t, 0, 0, 10);
        expect(read).toEqual(stored);
        expect(Buffer.isBuffer(read!.body)).toBe(true);
        expect([...read!.body]).toEqual([0, 1, 2, 255, 254]);
        expect(read!.transactionId).toBeUndefined();
      });

      it('assigns consecutive offsets across calls and reads by offset range', async () => {
        const t = await topic('seq');
        const a = await appendBodies(t, 'm0', 'm1', 'm2');
        const b = await appendBodies(t, 'm3');
        const c = await appendBodies(t, 'm4', 'm5');
        expect([...offsets(a), ...offsets(b), ...offsets(c)]).toEqual(range(6));
        expect(bodies(await store.read(t, 0, 0, 100))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
        expect(bodies(await store.read(t, 0, 2, 3))).toEqual(['m2', 'm3', 'm4']);
        expect(await store.read(t, 0, 6, 10)).toEqual([]);
        expect(await store.append(t, 0, [])).toEqual([]);
        expect((await store.queueStats(t))[0]!.maxOffset).toBe(6);
      });

      it('concurrent appends to a fresh topic get gap-free, unique offsets', async () => {
        const t = await topic('burst');
        const batches = await Promise.all(
          range(40).map((i) => store.append(t, 0, range((i % 3) + 1).map((j) => makeMessage(t, { body: Buffer.from(`${i}.${j}`) })))),
        );
        const all = batches.flat();
        expect(offsets(all).sort((x, y) => x - y)).toEqual(range(all.length));
        // Offsets within one call are consecutive and in input order.
        for (const batch of batches) expect(offsets(batch)).toEqual(range(batch.length, batch[0]!.offset));
        // Every returned offset holds exactly the message it was reported for.
        const log = await readAll(t);
        expect(offsets(log)).toEqual(range(all.length));
        const byOffset = new Map(log.map((m) => [m.offset, m.body.toString()]));
        for (const m of all) expect(byOffset.get(m.offset)).toBe(m.body.toString());
      });

      it('concurrent appends after earlier writes stay gap-free', async () => {
        const t = await topic('warm');
        await appendBodies(t, 'first');
        const results = await Promise.all(range(50).map((i) => appendBodies(t, `c${i}`)));
        const all = results.flat();
        expect(offsets(all).sort((x, y) => x - y)).toEqual(range(50, 1));
        const log = await readAll(t);
        expect(log).toHaveLength(51);
        expect(new Set(bodies(log)).size).toBe(51);
      });

      it('queues of different topics have independent offsets', async () => {
        const a = await topic('ta');
        const b = await topic('tb');
        const results = await Promise.all(range(20).map((i) => appendBodies(i % 2 === 0 ? a : b, `m${i}`)));
        expect(results.flat().filter((m) => m.topic === a).map((m) => m.offset).sort((x, y) => x - y)).toEqual(range(10));
        expect(offsets(await readAll(b))).toEqual(range(10));
      });

      it('appends, commits and scheduled promotions into one topic share one gap-free sequence', async () => {
        const t = await topic('mixed');
        await appendBodies(t, 'seed');
        for (let i = 0; i < 10; i++) await store.putHalf(half(t, `TX-MIX-${i}`));
        await store.schedule(
          t,
          0,
          range(10).map((i) => makeMessage(t, { deliveryTimestampMs: clock.now() + 10, body: Buffer.from(`delay-${i}`) })),
        );
        clock.advance(10);
        const ops: Promise<unknown>[] = [];
        for (let i = 0; i < 10; i++) {
          ops.push(appendBodies(t, `plain-${i}`));
          ops.push(store.endTransaction(`TX-MIX-${i}`, 'COMMIT', 'CLIENT'));
          if (i % 3 === 0) ops.push(store.promoteDueScheduled(4));
        }
        await Promise.all(ops);
        while ((await store.promoteDueScheduled(100)) > 0);
        const log = await readAll(t);
        expect(offsets(log)).toEqual(range(31));
        expect(new Set(bodies(log)).size).toBe(31);
        expect(log.filter((m) => m.transactionId !== undefined)).toHaveLength(10);
        expect(log.filter((m) => m.body.toString().startsWith('delay-'))).toHaveLength(10);
      });
    });

    // ---------------------------------------------------------------------------------------
    describe('scheduled (DELAY) messages', () => {
      it('keeps messages out of the log until due, then promotes them in delivery-time order', async () => {
        const t = await topic('delayed', 'DELAY');
        const start = clock.now();
        expect(await store.nextScheduledAtMs()).toBeUndefined();
        const seqs = await store.schedule(t, 0, [
          makeMessage(t, { messageType: 'DELAY', deliveryTimestampMs: start + 5 * SECOND, body: Buffer.from('late') }),
          makeMessage(t, { messageType: 'DELAY', deliveryTimestampMs: start + SECOND, body: Buffer.from('early-1') }),
          makeMessage(t, { messageType: 'DELAY', deliveryTimestampMs: start + SECOND, body: Buffer.from('early-2') }),
        ]);
        expect(seqs).toHaveLength(3);
        expect(new Set(seqs).size).toBe(3);
        expect(await store.nextScheduledAtMs()).toBe(start + SECOND);
        expect(await store.promoteDueScheduled(100)).toBe(0);
        expect(await readAll(t)).toEqual([]);
        expect(await receive('g', t)).toEqual([]);

        clock.advance(SECOND - 1);
        expect(await store.promoteDueScheduled(100)).toBe(0);
        clock.advance(1);
        expect(await store.promoteDueScheduled(100)).toBe(2);
        const log = await readAll(t);
        expect(bodies(log)).toEqual(['early-1', 'early-2']);
        expect(offsets(log)).toEqual([0, 1]);
        expect(log[0]!.deliveryTimestampMs).toBe(start + SECOND);
        expect(log[0]!.storeTimestampMs).toBe(clock.now());
        expect(await store.nextScheduledAtMs()).toBe(start + 5 * SECOND);
        expect(deliveredBodies(await receive('g', t))).toEqual(['early-1', 'early-2']);

        clock.advance(10 * SECOND);
        expect(await store.promoteDueScheduled(100)).toBe(1);
        expect(bodies(await readAll(t))).toEqual(['early-1', 'early-2', 'late']);
        expect(await store.nextScheduledAtMs()).toBeUndefined();
        expect(await store.promoteDueScheduled(100)).toBe(0);
      });

      it('promotes at most `limit` messages per call', async () => {
        const t = await topic('batch', 'DELAY');
        await store.schedule(
          t,
          0,
          range(5).map((i) => makeMessage(t, { deliveryTimestampMs: clock.now() + i, body: Buffer.from(`d${i}`) })),
        );
        clock.advance(SECOND);
        expect(await store.promoteDueScheduled(2)).toBe(2);
        expect(bodies(await readAll(t))).toEqual(['d0', 'd1']);
        expect(await store.promoteDueScheduled(10)).toBe(3);
        expect(bodies(await readAll(t))).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
      });

      it('sequence numbers keep increasing across calls', async () => {
        const t = await topic('seqs', 'DELAY');
        const a = await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + 1 })]);
        const b = await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + 1 }), makeMessage(t, { deliveryTimestampMs: clock.now() })]);
        expect(b[0]!).toBeGreaterThan(a[0]!);
        expect(b[1]!).toBeGreaterThan(b[0]!);
      });

      it('drops due messages whose topic was deleted meanwhile', async () => {
        const t = await topic('vanishing', 'DELAY');
        const kept = await topic('staying', 'DELAY');
        await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + SECOND })]);
        await store.schedule(kept, 0, [makeMessage(kept, { deliveryTimestampMs: clock.now() + SECOND, body: Buffer.from('kept') })]);
        await store.deleteTopic(t);
        clock.advance(SECOND);
        while ((await store.promoteDueScheduled(100)) > 0);
        expect(await store.getTopic(t)).toBeUndefined();
        expect(await readAll(t)).toEqual([]);
        expect(bodies(await readAll(kept))).toEqual(['kept']);
        expect(await store.nextScheduledAtMs()).toBeUndefined();
      });
    });

    // ---------------------------------------------------------------------------------------
    describe('transactions', () => {
      it('stores a half message that is neither readable nor receivable', async () => {
        const t = await topic('tx', 'TRANSACTION');
        const input = half(t, 'TX1', { nextCheckAtMs: clock.now() + 6 * SECOND });
        await store.putHalf(input);
        const stored = await store.getHalf('TX1');
        expect(stored).toEqual({ ...input, state: 'PENDING', checkCount: 0 });
        expect(stored!.message.body.toString()).toBe('tx-TX1');
        expect(await store.getHalf('TX-unknown')).toBeUndefined();
        expect(await store.getDecision('TX1')).toBeUndefined();
        expect(await readAll(t)).toEqual([]);
        expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 0, maxOffset: 0 }]);
        expect(await receive('g', t)).toEqual([]);
        expect(store.transactionCounters()).toMatchObject({ pending: 1, abandoned: 0, committed: 0, rolledBack: 0 });
      });

      it('putHalf of an already stored transaction (a retried send) changes nothing', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX1'));
        clock.advance(SECOND);
        await claim(t, { clientId: 'c' }).then((r) => expect(r.claimed).toHaveLength(0));
        clock.advance(10 * SECOND);
        expect((await claim(t)).claimed).toHaveLength(1);
        const before = await store.getHalf('TX1');
        await store.putHalf(half(t, 'TX1'));
        expect(await store.getHalf('TX1')).toEqual(before);
        expect(store.transactionCounters().pending).toBe(1);
        // Also after the decision: a late retry must not resurrect the transaction.
        await store.endTransaction('TX1', 'COMMIT', 'CLIENT');
        await store.putHalf(half(t, 'TX1'));
        expect(await store.getHalf('TX1')).toBeUndefined();
        expect(store.transactionCounters().pending).toBe(0);
        expect(await readAll(t)).toHaveLength(1);
      });

      it('COMMIT appends the message with its transaction id and records the decision', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await appendBodies(t, 'before');
        const input = half(t, 'TX-C');
        await store.putHalf(input);
        clock.advance(2 * SECOND);
        const result = await store.endTransaction('TX-C', 'COMMIT', 'CLIENT', { topic: t, messageId: 'TX-C' }, 'producer said so');
        expect(result.kind).toBe('applied');
        if (result.kind !== 'applied') return;
        expect(result.decision).toEqual({
          transactionId: 'TX-C',
          topic: t,
          messageId: 'TX-C',
          state: 'COMMITTED',
          source: 'CLIENT',
          reason: 'producer said so',
          receivedAtMs: input.receivedAtMs,
          decidedAtMs: clock.now(),
          checkCount: 0,
          offset: 1,
        });
        expect(await store.getDecision('TX-C')).toEqual(result.decision);
        expect(await store.getHalf('TX-C')).toBeUndefined();

        const [, committed] = await readAll(t);
        expect(committed).toMatchObject({ topic: t, offset: 1, messageId: 'TX-C', transactionId: 'TX-C', messageType: 'TRANSACTION' });
        expect(committed!.body.toString()).toBe('tx-TX-C');
        expect(committed!.storeTimestampMs).toBe(clock.now());

        const ds = await receive('g', t);
        expect(ds.map((d) => d.message.transactionId)).toEqual([undefined, 'TX-C']);
        expect(ds[1]!.message.body.toString()).toBe('tx-TX-C');
        expect(store.transactionCounters()).toMatchObject({ pending: 0, committed: 1, rolledBack: 0 });
        expect(await store.pendingProducerGroups()).toEqual([]);
      });

      it('ROLLBACK discards the half message and records the decision', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-R'));
        const result = await store.endTransaction('TX-R', 'ROLLBACK', 'SERVER_CHECK');
        expect(result.kind).toBe('applied');
        if (result.kind !== 'applied') return;
        expect(result.decision).toMatchObject({ transactionId: 'TX-R', state: 'ROLLED_BACK', source: 'SERVER_CHECK', topic: t, messageId: 'TX-R' });
        expect(result.decision.offset).toBeUndefined();
        expect(await store.getHalf('TX-R')).toBeUndefined();
        expect(await store.getDecision('TX-R')).toEqual(result.decision);
        expect(await readAll(t)).toEqual([]);
        expect(await receive('g', t)).toEqual([]);
        expect(store.transactionCounters()).toMatchObject({ pending: 0, committed: 0, rolledBack: 1 });
      });

      it('the first decision wins: the same one again is a duplicate, the other one a conflict', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-A'));
        await store.putHalf(half(t, 'TX-B'));
        const committed = await store.endTransaction('TX-A', 'COMMIT', 'CLIENT');
        const rolledBack = await store.endTransaction('TX-B', 'ROLLBACK', 'CLIENT');
        if (committed.kind !== 'applied' || rolledBack.kind !== 'applied') throw new Error('expected both to apply');
        clock.advance(SECOND);

        expect(await store.endTransaction('TX-A', 'COMMIT', 'SERVER_CHECK')).toEqual({ kind: 'duplicate', decision: committed.decision });
        expect(await store.endTransaction('TX-A', 'ROLLBACK', 'ADMIN')).toEqual({ kind: 'conflict', decision: committed.decision });
        expect(await store.endTransaction('TX-B', 'ROLLBACK', 'SERVER_CHECK')).toEqual({ kind: 'duplicate', decision: rolledBack.decision });
        expect(await store.endTransaction('TX-B', 'COMMIT', 'CLIENT')).toEqual({ kind: 'conflict', decision: rolledBack.decision });

        expect(offsets(await readAll(t))).toEqual([0]);
        expect(store.transactionCounters()).toMatchObject({ committed: 1, rolledBack: 1, pending: 0 });
      });

      it('an unknown transaction id is reported as unknown', async () => {
        expect(await store.endTransaction('TX-nobody', 'COMMIT', 'CLIENT')).toEqual({ kind: 'unknown' });
        expect(await store.endTransaction('TX-nobody', 'ROLLBACK', 'CLIENT')).toEqual({ kind: 'unknown' });
      });

      it('an expectation that does not match the half message is a mismatch and decides nothing', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await topic('elsewhere', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-M'));
        const expected = { topic: t, messageId: 'TX-M' };
        expect(await store.endTransaction('TX-M', 'COMMIT', 'CLIENT', { topic: 'elsewhere' })).toEqual({ kind: 'mismatch', expected });
        expect(await store.endTransaction('TX-M', 'COMMIT', 'CLIENT', { topic: t, messageId: 'OTHER' })).toEqual({ kind: 'mismatch', expected });
        expect(await store.endTransaction('TX-M', 'ROLLBACK', 'CLIENT', { messageId: 'OTHER' })).toEqual({ kind: 'mismatch', expected });
        expect((await store.getHalf('TX-M'))?.state).toBe('PENDING');
        expect(await store.getDecision('TX-M')).toBeUndefined();
        expect(await readAll('elsewhere')).toEqual([]);
        expect((await store.endTransaction('TX-M', 'COMMIT', 'CLIENT', { topic: t })).kind).toBe('applied');
      });

      it('a concurrent COMMIT and ROLLBACK of one transaction: exactly one is applied', async () => {
        const t = await topic('tx', 'TRANSACTION');
        const n = 20;
        for (let i = 0; i < n; i++) await store.putHalf(half(t, `TX-RACE-${i}`));
        const pairs = await Promise.all(
          range(n).map((i) => {
            const commit = store.endTransaction(`TX-RACE-${i}`, 'COMMIT', 'CLIENT');
            const rollback = store.endTransaction(`TX-RACE-${i}`, 'ROLLBACK', 'SERVER_CHECK');
            return i % 2 === 0 ? Promise.all([commit, rollback]) : Promise.all([rollback, commit]).then(([r, c]) => [c, r] as const);
          }),
        );
        let commits = 0;
        for (const [i, [c, r]] of pairs.entries()) {
          const kinds = [c.kind, r.kind].sort();
          expect(kinds, `transaction ${i}`).toEqual(['applied', 'conflict']);
          const decision = await store.getDecision(`TX-RACE-${i}`);
          const winner = c.kind === 'applied' ? 'COMMITTED' : 'ROLLED_BACK';
          expect(decision?.state).toBe(winner);
          if (winner === 'COMMITTED') commits++;
        }
        const log = await readAll(t);
        expect(log).toHaveLength(commits);
        expect(offsets(log)).toEqual(range(commits));
        expect(store.transactionCounters()).toMatchObject({ pending: 0, committed: commits, rolledBack: n - commits });
      });

      it('concurrent duplicate COMMITs append the message once', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-DUP'));
        const results = await Promise.all(range(5).map(() => store.endTransaction('TX-DUP', 'COMMIT', 'CLIENT')));
        expect(results.map((r) => r.kind).sort()).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
        expect(await readAll(t)).toHaveLength(1);
        expect(store.transactionCounters().committed).toBe(1);
      });

      it('claims only due transactions, counting the check and moving the next due time', async () => {
        const t = await topic('tx', 'TRANSACTION');
        const start = clock.now();
        await store.putHalf(half(t, 'TX1', { nextCheckAtMs: start + SECOND }));
        await store.putHalf(half(t, 'TX2', { nextCheckAtMs: start + 2 * SECOND }));
        await store.putHalf(half('other-group', 'TX3', { producerGroup: 'other-group', nextCheckAtMs: start + SECOND }));
        expect(await store.nextCheckDueAtMs(t)).toBe(start + SECOND);
        expect(await store.nextCheckDueAtMs('nobody')).toBeUndefined();

        expect(await claim(t)).toEqual({ claimed: [], exhausted: [], quarantined: [] });
        clock.advance(SECOND);
        const first = await claim(t, { nextCheckInMs: 5 * SECOND, clientId: 'client-A' });
        expect(first.exhausted).toEqual([]);
        expect(first.claimed.map((h) => h.transactionId)).toEqual(['TX1']);
        const claimed = first.claimed[0]!;
        expect(claimed).toMatchObject({
          state: 'PENDING',
          checkCount: 1,
          lastCheckAtMs: start + SECOND,
          lastCheckClientId: 'client-A',
          nextCheckAtMs: start + 6 * SECOND,
          producerGroup: t,
        });
        expect(claimed.message.body.toString()).toBe('tx-TX1');
        expect(await store.getHalf('TX1')).toEqual(claimed);
        expect(store.transactionCounters().checksSent).toBe(1);
        expect(await store.nextCheckDueAtMs(t)).toBe(start + 2 * SECOND);

        // Claimed transactions are not due again until their new time.
        expect((await claim(t)).claimed).toEqual([]);
        clock.advance(SECOND);
        expect((await claim(t, { nextCheckInMs: 5 * SECOND })).claimed.map((h) => h.transactionId)).toEqual(['TX2']);
        clock.advance(4 * SECOND);
        expect((await claim(t, { nextCheckInMs: 5 * SECOND })).claimed.map((h) => [h.transactionId, h.checkCount])).toEqual([['TX1', 2]]);
        // The other producer group was never touched.
        expect((await store.getHalf('TX3'))?.checkCount).toBe(0);
      });

      it('claims at most `limit` transactions per call', async () => {
        const t = await topic('tx', 'TRANSACTION');
        for (let i = 0; i < 5; i++) await store.putHalf(half(t, `TX-L${i}`, { nextCheckAtMs: clock.now() + i }));
        clock.advance(SECOND);
        const a = await claim(t, { limit: 2 });
        expect(a.claimed).toHaveLength(2);
        const b = await claim(t, { limit: 10 });
        expect(b.claimed).toHaveLength(3);
        const ids = [...a.claimed, ...b.claimed].map((h) => h.transactionId).sort();
        expect(ids).toEqual(['TX-L0', 'TX-L1', 'TX-L2', 'TX-L3', 'TX-L4']);
      });

      it('concurrent claims never claim one transaction twice', async () => {
        const t = await topic('tx', 'TRANSACTION');
        for (let i = 0; i < 10; i++) await store.putHalf(half(t, `TX-CC${i}`, { nextCheckAtMs: clock.now() }));
        const results = await Promise.all(range(4).map((i) => claim(t, { clientId: `checker-${i}` })));
        const ids = results.flatMap((r) => r.claimed.map((h) => h.transactionId));
        expect(ids.sort()).toEqual(range(10).map((i) => `TX-CC${i}`).sort());
        for (let i = 0; i < 10; i++) expect((await store.getHalf(`TX-CC${i}`))?.checkCount).toBe(1);
        expect(store.transactionCounters().checksSent).toBe(10);
      });

      it('the due index stays consistent when claims race with releases and decisions', async () => {
        const t = await topic('tx', 'TRANSACTION');
        const n = 24;
        for (let i = 0; i < n; i++) await store.putHalf(half(t, `TX-IX${i}`, { nextCheckAtMs: clock.now() - 1000 + i }));
        for (let round = 0; round < 3; round++) {
          const ops: Promise<unknown>[] = [claim(t, { nextCheckInMs: 50 })];
          for (let i = round; i < n; i += 3) ops.push(store.releaseCheck(`TX-IX${i}`, clock.now() - 500 + i));
          ops.push(claim(t, { nextCheckInMs: 70 }));
          await Promise.all(ops);
          clock.advance(100);
        }
        const pending = await store.listTransactions({ state: 'PENDING' });
        expect(pending).toHaveLength(n);
        expect(await store.nextCheckDueAtMs(t)).toBe(Math.min(...pending.map((h) => h.nextCheckAtMs)));
        // Every transaction is claimable exactly once when due, and nothing else is.
        clock.advance(10_000);
        const { claimed } = await claim(t, { nextCheckInMs: 60 * SECOND });
        expect(claimed.map((h) => h.transactionId).sort()).toEqual(range(n).map((i) => `TX-IX${i}`).sort());
        expect(await store.nextCheckDueAtMs(t)).toBe(clock.now() + 60 * SECOND);
        for (let i = 0; i < n; i++) await store.endTransaction(`TX-IX${i}`, i % 2 ? 'COMMIT' : 'ROLLBACK', 'CLIENT');
        expect(await store.nextCheckDueAtMs(t)).toBeUndefined();
        clock.advance(120 * SECOND);
        expect(await claim(t)).toEqual({ claimed: [], exhausted: [], quarantined: [] });
      });

      it('reports transactions whose check budget is used up as exhausted instead of claiming them', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-X', { nextCheckAtMs: clock.now() }));
        const req = { checkMax: 2, nextCheckInMs: SECOND };
        expect((await claim(t, req)).claimed).toHaveLength(1);
        clock.advance(SECOND);
        expect((await claim(t, req)).claimed).toHaveLength(1);
        clock.advance(SECOND);
        const third = await claim(t, req);
        expect(third.claimed).toEqual([]);
        expect(third.exhausted.map((h) => [h.transactionId, h.checkCount, h.state])).toEqual([['TX-X', 2, 'PENDING']]);
        expect(third.exhausted[0]!.message.body.toString()).toBe('tx-TX-X');
        const after = await store.getHalf('TX-X');
        expect(after?.checkCount).toBe(2);
        expect(store.transactionCounters().checksSent).toBe(2);
        // The caller has not applied a policy yet: still reported on the next round.
        expect((await claim(t, req)).exhausted.map((h) => h.transactionId)).toEqual(['TX-X']);
      });

      it('a clientId function sees the previous check and can leave a transaction unclaimed', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-F', { nextCheckAtMs: clock.now(), senderClientId: 'sender' }));
        const seen: (string | undefined)[] = [];
        const first = await claim(t, {
          nextCheckInMs: SECOND,
          clientId: (h) => {
            seen.push(h.lastCheckClientId);
            return h.senderClientId;
          },
        });
        expect(first.claimed.map((h) => h.lastCheckClientId)).toEqual(['sender']);
        clock.advance(SECOND);
        const before = await store.getHalf('TX-F');
        const second = await claim(t, {
          nextCheckInMs: SECOND,
          clientId: (h) => {
            seen.push(h.lastCheckClientId);
            return undefined;
          },
        });
        expect(second).toEqual({ claimed: [], exhausted: [], quarantined: [] });
        expect(seen).toEqual([undefined, 'sender']);
        expect(await store.getHalf('TX-F')).toEqual(before);
        expect(store.transactionCounters().checksSent).toBe(1);
        // Still due: the next round with a reachable client claims it.
        const third = await claim(t, { nextCheckInMs: SECOND, clientId: 'other-client' });
        expect(third.claimed.map((h) => [h.checkCount, h.lastCheckClientId])).toEqual([[2, 'other-client']]);
      });

      it('releaseCheck undoes a claim and makes the transaction due at the given time', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-REL', { nextCheckAtMs: clock.now() }));
        const { claimed } = await claim(t, { nextCheckInMs: 60 * SECOND });
        expect(claimed[0]!.checkCount).toBe(1);
        const dueAt = clock.now() + 500;
        await store.releaseCheck('TX-REL', dueAt);
        const released = await store.getHalf('TX-REL');
        expect(released).toMatchObject({ checkCount: 0, nextCheckAtMs: dueAt, state: 'PENDING' });
        expect(await store.nextCheckDueAtMs(t)).toBe(dueAt);
        expect(store.transactionCounters().checksSent).toBe(0);
        expect((await claim(t)).claimed).toEqual([]);
        clock.advance(500);
        expect((await claim(t)).claimed.map((h) => h.checkCount)).toEqual([1]);
        // Releasing a decided or unknown transaction is a no-op.
        await store.endTransaction('TX-REL', 'ROLLBACK', 'CLIENT');
        await store.releaseCheck('TX-REL', clock.now());
        await store.releaseCheck('TX-none', clock.now());
        expect(await store.getHalf('TX-REL')).toBeUndefined();
        expect(await store.nextCheckDueAtMs(t)).toBeUndefined();
      });

      it('abandonTransaction stops checks but keeps the half message for a manual decision', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-AB', { nextCheckAtMs: clock.now() }));
        await store.putHalf(half(t, 'TX-OK', { nextCheckAtMs: clock.now() + 10 * SECOND }));
        expect(await store.abandonTransaction('TX-AB', 'check budget used up')).toBe(true);
        expect(await store.getHalf('TX-AB')).toMatchObject({ state: 'ABANDONED', abandonReason: 'check budget used up' });
        expect(await store.abandonTransaction('TX-AB', 'again')).toBe(false);
        expect(await store.abandonTransaction('TX-none', 'x')).toBe(false);
        expect(store.transactionCounters()).toMatchObject({ pending: 1, abandoned: 1 });
        expect(await store.nextCheckDueAtMs(t)).toBe(clock.now() + 10 * SECOND);
        clock.advance(60 * SECOND);
        const due = await claim(t);
        expect(due.claimed.map((h) => h.transactionId)).toEqual(['TX-OK']);
        expect(due.exhausted).toEqual([]);

        // An admin can still commit it.
        const result = await store.endTransaction('TX-AB', 'COMMIT', 'ADMIN', undefined, 'manual');
        expect(result.kind).toBe('applied');
        expect(bodies(await readAll(t))).toEqual(['tx-TX-AB']);
        expect(store.transactionCounters()).toMatchObject({ pending: 1, abandoned: 0, committed: 1 });
        await store.endTransaction('TX-OK', 'ROLLBACK', 'CLIENT');
        expect(store.transactionCounters()).toMatchObject({ pending: 0, abandoned: 0, rolledBack: 1 });
      });

      it('nextCheckDueAtMs and pendingProducerGroups follow pending transactions only', async () => {
        await topic('pa', 'TRANSACTION');
        await topic('pb', 'TRANSACTION');
        expect(await store.pendingProducerGroups()).toEqual([]);
        await store.putHalf(half('pa', 'TX-PA1', { nextCheckAtMs: clock.now() + 300 }));
        await store.putHalf(half('pa', 'TX-PA2', { nextCheckAtMs: clock.now() + 100 }));
        await store.putHalf(half('pb', 'TX-PB', { nextCheckAtMs: clock.now() + 200 }));
        expect((await store.pendingProducerGroups()).sort()).toEqual(['pa', 'pb']);
        expect(await store.nextCheckDueAtMs('pa')).toBe(clock.now() + 100);
        expect(await store.nextCheckDueAtMs('pb')).toBe(clock.now() + 200);
        await store.endTransaction('TX-PA2', 'COMMIT', 'CLIENT');
        expect(await store.nextCheckDueAtMs('pa')).toBe(clock.now() + 300);
        await store.abandonTransaction('TX-PB', 'policy');
        expect(await store.pendingProducerGroups()).toEqual(['pa']);
        expect(await store.nextCheckDueAtMs('pb')).toBeUndefined();
        await store.endTransaction('TX-PA1', 'ROLLBACK', 'CLIENT');
        expect(await store.pendingProducerGroups()).toEqual([]);
        expect(await store.nextCheckDueAtMs('pa')).toBeUndefined();
      });

      it('rearmTransaction makes an ABANDONED transaction PENDING with a fresh budget, due at the given time', async () => {
        await topic('ra', 'TRANSACTION');
        await store.putHalf(half('ra', 'TX-RA', { nextCheckAtMs: clock.now() }));
        expect(await store.rearmTransaction('TX-RA', clock.now())).toBe(false); // pending: nothing to do
        await claim('ra');
        await store.abandonTransaction('TX-RA', 'kept');
        expect(store.transactionCounters()).toMatchObject({ pending: 0, abandoned: 1 });
        expect(await store.rearmTransaction('TX-RA', clock.now() + 500)).toBe(true);
        expect(await store.getHalf('TX-RA')).toMatchObject({ state: 'PENDING', checkCount: 0, nextCheckAtMs: clock.now() + 500 });
        expect((await store.getHalf('TX-RA'))!.abandonReason).toBeUndefined();
        expect(store.transactionCounters()).toMatchObject({ pending: 1, abandoned: 0 });
        expect(await store.nextCheckDueAtMs('ra')).toBe(clock.now() + 500);
        expect(await store.rearmTransaction('unknown', clock.now())).toBe(false);
      });

      it('keeps an audit trail: every delivered check, and the keys on the decision for a lookup by key', async () => {
        await topic('at', 'TRANSACTION');
        await store.putHalf(half('at', 'TX-AT', { nextCheckAtMs: clock.now(), message: makeMessage('at', { messageType: 'TRANSACTION', messageId: 'TX-AT', keys: ['order-9'] }) }));
        const t0 = clock.now();
        await claim('at', { clientId: 'p1', nextCheckInMs: 1000 });
        clock.advance(1000);
        await claim('at', { clientId: 'p2', nextCheckInMs: 1000 });
        await store.releaseCheck('TX-AT', clock.now()); // p2's check never went out
        await claim('at', { clientId: 'p3', nextCheckInMs: 1000 });
        expect((await store.getHalf('TX-AT'))!.checks).toEqual([
          { atMs: t0, clientId: 'p1' },
          { atMs: t0 + 1000, clientId: 'p3' },
        ]);
        expect(await store.findDecisions({ key: 'order-9', limit: 10 })).toEqual([]);
        await store.endTransaction('TX-AT', 'COMMIT', 'SERVER_CHECK');
        const [decided] = await store.findDecisions({ key: 'order-9', limit: 10 });
        expect(decided).toMatchObject({ transactionId: 'TX-AT', state: 'COMMITTED', keys: ['order-9'], checkCount: 2 });
        expect(decided!.checks).toEqual([
          { atMs: t0, clientId: 'p1' },
          { atMs: t0 + 1000, clientId: 'p3' },
        ]);
        expect(await store.findDecisions({ key: 'order-10', limit: 10 })).toEqual([]);
        expect(await store.findDecisions({ key: 'order-9', state: 'ROLLED_BACK', limit: 10 })).toEqual([]);
        expect(await store.findDecisions({ key: 'order-9', topic: 'other', limit: 10 })).toEqual([]);
        expect(await store.findDecisions({ key: 'order-9', state: 'COMMITTED', topic: 'at', limit: 10 })).toHaveLength(1);
      });

      it('listTransactions finds transactions by message key', async () => {
        await topic('lk', 'TRANSACTION');
        await store.putHalf(half('lk', 'TX-K1', { message: makeMessage('lk', { messageType: 'TRANSACTION', messageId: 'TX-K1', keys: ['order-1', 'shared'] }) }));
        await store.putHalf(half('lk', 'TX-K2', { message: makeMessage('lk', { messageType: 'TRANSACTION', messageId: 'TX-K2', keys: ['shared'] }) }));
        expect((await store.listTransactions({ key: 'order-1' })).map((h) => h.transactionId)).toEqual(['TX-K1']);
        expect((await store.listTransactions({ key: 'shared' })).map((h) => h.transactionId).sort()).toEqual(['TX-K1', 'TX-K2']);
        expect(await store.listTransactions({ key: 'none' })).toEqual([]);
      });

      it('pendingTransactionCount counts a group\'s PENDING transactions only', async () => {
        await topic('pc', 'TRANSACTION');
        expect(await store.pendingTransactionCount('pc')).toBe(0);
        for (let i = 0; i < 3; i++) await store.putHalf(half('pc', `TX-PC${i}`));
        expect(await store.pendingTransactionCount('pc')).toBe(3);
        await store.endTransaction('TX-PC0', 'COMMIT', 'CLIENT');
        await store.abandonTransaction('TX-PC1', 'kept');
        expect(await store.pendingTransactionCount('pc')).toBe(1);
        expect(await store.pendingTransactionCount('other')).toBe(0);
      });

      it('listTransactions filters by topic and state and honours the limit', async () => {
        await topic('la', 'TRANSACTION');
        await topic('lb', 'TRANSACTION');
        for (let i = 0; i < 3; i++) await store.putHalf(half('la', `TX-LA${i}`));
        for (let i = 0; i < 2; i++) await store.putHalf(half('lb', `TX-LB${i}`));
        await store.abandonTransaction('TX-LA1', 'kept for an operator');
        await store.putHalf(half('la', 'TX-DONE'));
        await store.endTransaction('TX-DONE', 'COMMIT', 'CLIENT');

        const ids = (hs: HalfMessage[]): string[] => hs.map((h) => h.transactionId).sort();
        expect(ids(await store.listTransactions({}))).toEqual(['TX-LA0', 'TX-LA1', 'TX-LA2', 'TX-LB0', 'TX-LB1']);
        expect(ids(await store.listTransactions({ topic: 'la' }))).toEqual(['TX-LA0', 'TX-LA1', 'TX-LA2']);
        expect(ids(await store.listTransactions({ state: 'ABANDONED' }))).toEqual(['TX-LA1']);
        expect(ids(await store.listTransactions({ state: 'PENDING', topic: 'la' }))).toEqual(['TX-LA0', 'TX-LA2']);
        expect(ids(await store.listTransactions({ topic: 'nothing' }))).toEqual([]);
        const limited = await store.listTransactions({ limit: 2 });
        expect(limited).toHaveLength(2);
        expect(limited[0]!.message.body.toString()).toMatch(/^tx-TX-L/);
      });

      it('transactionCounters count every transition, and countCheckAnswered counts answers', async () => {
        const t = await topic('tx', 'TRANSACTION');
        expect(store.transactionCounters()).toEqual({ pending: 0, abandoned: 0, committed: 0, rolledBack: 0, checksSent: 0, checksAnswered: 0 });
        for (let i = 0; i < 4; i++) await store.putHalf(half(t, `TX-N${i}`, { nextCheckAtMs: clock.now() }));
        await claim(t);
        store.countCheckAnswered();
        store.countCheckAnswered();
        await store.endTransaction('TX-N0', 'COMMIT', 'SERVER_CHECK');
        await store.endTransaction('TX-N1', 'ROLLBACK', 'SERVER_CHECK');
        await store.abandonTransaction('TX-N2', 'max checks');
        expect(store.transactionCounters()).toEqual({ pending: 1, abandoned: 1, committed: 1, rolledBack: 1, checksSent: 4, checksAnswered: 2 });
      });

      it('deleting a topic keeps its transactions: rollback works, commit is refused and keeps them pending', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-D1'));
        await store.putHalf(half(t, 'TX-D2'));
        await store.deleteTopic(t);
        expect((await store.getHalf('TX-D1'))?.state).toBe('PENDING');
        await expectBrokerError(store.endTransaction('TX-D1', 'COMMIT', 'CLIENT'), Code.TOPIC_NOT_FOUND);
        expect((await store.getHalf('TX-D1'))?.state).toBe('PENDING');
        expect(await store.getDecision('TX-D1')).toBeUndefined();
        expect(store.transactionCounters()).toMatchObject({ pending: 2, committed: 0 });
        expect((await store.endTransaction('TX-D2', 'ROLLBACK', 'CLIENT')).kind).toBe('applied');
        expect(await store.getTopic(t)).toBeUndefined();
        expect(await readAll(t)).toEqual([]);
      });
    });

    // ---------------------------------------------------------------------------------------
    describe('consumption', () => {
      it('delivers new messages once, with attempt 1, a receipt handle and an invisibility deadline', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b', 'c');
        expect(await store.receive(request('g', 'empty-topic'))).toEqual({ deliveries: [], deadLettered: [] });
        const first = await receive('g', t, { maxMessages: 2, invisibleDurationMs: 20 * SECOND });
        expect(deliveredBodies(first)).toEqual(['a', 'b']);
        for (const d of first) {
          expect(d.deliveryAttempt).toBe(1);
          expect(d.invisibleUntilMs).toBe(clock.now() + 20 * SECOND);
          expect(typeof d.receiptHandle).toBe('string');
          expect(d.receiptHandle.length).toBeGreaterThan(0);
        }
        expect(first[0]!.receiptHandle).not.toBe(first[1]!.receiptHandle);
        expect(first.map((d) => d.message.offset)).toEqual([0, 1]);
        expect(deliveredBodies(await receive('g', t))).toEqual(['c']);
        expect(await receive('g', t)).toEqual([]);
      });

      it('new groups start at the beginning of the log; groups progress independently', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b');
        const g1 = await receive('g1', t);
        for (const d of g1) expect(await store.ack('g1', t, d.receiptHandle)).toBe('ok');
        await appendBodies(t, 'c');
        expect(deliveredBodies(await receive('g2', t))).toEqual(['a', 'b', 'c']);
        expect(deliveredBodies(await receive('g1', t))).toEqual(['c']);
        expect(deliveredBodies(await receive('g3', t, { maxMessages: 1 }))).toEqual(['a']);
        // g2 leaves everything unacked: only g2 redelivers.
        clock.advance(31 * SECOND);
        const again = await receive('g2', t);
        expect(deliveredBodies(again)).toEqual(['a', 'b', 'c']);
        expect(again.map((d) => d.deliveryAttempt)).toEqual([2, 2, 2]);
        expect(deliveredBodies(await receive('g1', t))).toEqual(['c']);
      });

      it('a group created to start from latest gets only messages sent after its first receive, and keeps its place', async () => {
        const t = await topic('q');
        await appendBodies(t, 'old-1', 'old-2');
        await store.createGroup({ name: 'late', fifo: false, maxDeliveryAttempts: 17, startFrom: 'latest' });
        expect(await receive('late', t)).toEqual([]);
        await appendBodies(t, 'new');
        if (harness.reopen) store = await harness.reopen(); // its place survives a restart before its first delivery
        const got = await receive('late', t);
        expect(deliveredBodies(got)).toEqual(['new']);
        for (const d of got) expect(await store.ack('late', t, d.receiptHandle)).toBe('ok');
        if (harness.reopen) store = await harness.reopen();
        await appendBodies(t, 'after-restart');
        expect(deliveredBodies(await receive('late', t))).toEqual(['after-restart']);
        // An earliest group on the same topic still sees everything.
        expect(deliveredBodies(await receive('early', t))).toEqual(['old-1', 'old-2', 'new', 'after-restart']);
      });

      it('a group that first receives while appends are being written still gets every message', async () => {
        for (let round = 0; round < 10; round++) {
          const t = await topic(`race${round}`);
          await store.queueStats(t);
          const group = `g${round}`;
          const [, , first] = await Promise.all([appendBodies(t, 'a', 'b'), appendBodies(t, 'c'), receive(group, t)]);
          const rest = await receive(group, t);
          expect(deliveredBodies([...first!, ...rest]).sort(), `round ${round}`).toEqual(['a', 'b', 'c']);
        }
      });

      it('a receipt handle of one group does not ack the message for another group', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [d1] = await receive('g1', t);
        const [d2] = await receive('g2', t);
        expect(await store.ack('g2', t, d1!.receiptHandle)).toBe('stale');
        expect(await store.ack('g1', t, d1!.receiptHandle)).toBe('ok');
        expect(await store.ack('g2', t, d2!.receiptHandle)).toBe('ok');
      });

      it('skips messages that do not match the tag filter without blocking later ones', async () => {
        const t = await topic('tags');
        await store.append(t, 0, [
          ...range(20).map((i) => makeMessage(t, { tag: 'B', body: Buffer.from(`b${i}`) })),
          makeMessage(t, { body: Buffer.from('untagged') }),
          makeMessage(t, { tag: 'A', body: Buffer.from('a1') }),
          makeMessage(t, { tag: 'C', body: Buffer.from('c1') }),
          makeMessage(t, { tag: 'A', body: Buffer.from('a2') }),
        ]);
        const onlyA = await receive('ga', t, { filter: { kind: 'tags', tags: new Set(['A']) } });
        expect(deliveredBodies(onlyA)).toEqual(['a1', 'a2']);
        expect(await receive('ga', t, { filter: { kind: 'tags', tags: new Set(['A']) } })).toEqual([]);
        const aOrC = await receive('gac', t, { filter: { kind: 'tags', tags: new Set(['A', 'C']) } });
        expect(deliveredBodies(aOrC)).toEqual(['a1', 'c1', 'a2']);
        const all = await receive('gall', t, { maxMessages: 100 });
        expect(all).toHaveLength(24);
        // Filtered-out messages count as looked at: nothing is left for the filtered group.
        const [stats] = await store.groupStats('ga');
        expect(stats).toMatchObject({ topic: t, consumedOffset: 24, lag: 0, inFlight: 2 });
      });

      it('redelivers an unacked message after its invisibility ends, with attempt + 1 and a new handle', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [first] = await receive('g', t, { invisibleDurationMs: 10 * SECOND });
        expect(await store.nextRedeliveryAtMs('g', t)).toBe(first!.invisibleUntilMs);
        clock.advance(10 * SECOND - 1);
        expect(await receive('g', t)).toEqual([]);
        clock.advance(1);
        const [second] = await receive('g', t, { invisibleDurationMs: 10 * SECOND });
        expect(second!.message.offset).toBe(first!.message.offset);
        expect(second!.message.messageId).toBe(first!.message.messageId);
        expect(second!.deliveryAttempt).toBe(2);
        expect(second!.invisibleUntilMs).toBe(clock.now() + 10 * SECOND);
        expect(second!.receiptHandle).not.toBe(first!.receiptHandle);
        expect(await store.nextRedeliveryAtMs('g', t)).toBe(second!.invisibleUntilMs);

        expect(await store.ack('g', t, first!.receiptHandle)).toBe('stale');
        expect(await store.changeInvisibleDuration('g', t, first!.receiptHandle, SECOND)).toBe('stale');
        expect(await store.forwardToDeadLetter('g', t, first!.receiptHandle)).toBe('stale');
        expect(await store.ack('g', t, second!.receiptHandle)).toBe('ok');
        expect(await store.nextRedeliveryAtMs('g', t)).toBeUndefined();
      });

      it('ack removes the message for good; acking again is stale', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b');
        const [a, b] = await receive('g', t);
        expect(await store.ack('g', t, a!.receiptHandle)).toBe('ok');
        expect(await store.ack('g', t, a!.receiptHandle)).toBe('stale');
        clock.advance(60 * SECOND);
        const again = await receive('g', t);
        expect(deliveredBodies(again)).toEqual(['b']);
        expect(again[0]!.deliveryAttempt).toBe(2);
        expect(await store.ack('g', t, b!.receiptHandle)).toBe('stale');
        expect(await store.ack('g', t, again[0]!.receiptHandle)).toBe('ok');
        clock.advance(60 * SECOND);
        expect(await receive('g', t)).toEqual([]);
        // The message itself stays in the log (other groups, admin reads).
        expect(bodies(await readAll(t))).toEqual(['a', 'b']);
      });

      it('a malformed receipt handle fails cleanly', async () => {
        const t = await topic('q');
        const outcome = await store.ack('g', t, 'not-a-receipt-handle').then(
          (r) => r,
          (err: unknown) => err,
        );
        if (outcome !== 'stale') {
          expect(outcome).toBeInstanceOf(BrokerError);
          expect((outcome as BrokerError).code).toBe(Code.INVALID_RECEIPT_HANDLE);
        }
      });

      it('concurrent ack of one handle succeeds exactly once', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [d] = await receive('g', t);
        const results = await Promise.all(range(5).map(() => store.ack('g', t, d!.receiptHandle)));
        expect(results.sort()).toEqual(['ok', 'stale', 'stale', 'stale', 'stale']);
      });

      it('concurrent receives of one group never hand out a message twice', async () => {
        const t = await topic('q');
        await store.append(t, 0, range(30).map((i) => makeMessage(t, { body: Buffer.from(`m${i}`) })));
        const results = await Promise.all(range(6).map(() => receive('g', t, { maxMessages: 4 })));
        const got = results.flat().map((d) => d.message.offset);
        expect(new Set(got).size).toBe(got.length);
        expect(got).toHaveLength(24);
        const rest = await receive('g', t, { maxMessages: 100 });
        expect([...got, ...rest.map((d) => d.message.offset)].sort((x, y) => x - y)).toEqual(range(30));
      });

      it('messages appended while receives run are each delivered exactly once', async () => {
        const t = await topic('q');
        const seen: number[] = [];
        const appends: Promise<unknown>[] = [];
        for (let round = 0; round < 20; round++) {
          for (let i = 0; i < 5; i++) appends.push(appendBodies(t, `r${round}-${i}`));
          const [a, b] = await Promise.all([receive('g', t, { maxMessages: 3 }), receive('g', t, { maxMessages: 3 })]);
          seen.push(...a!.map((d) => d.message.offset), ...b!.map((d) => d.message.offset));
        }
        await Promise.all(appends);
        seen.push(...(await receive('g', t, { maxMessages: 1000 })).map((d) => d.message.offset));
        expect(seen.sort((x, y) => x - y)).toEqual(range(100));
      });

      it('changeInvisibleDuration moves the deadline and returns the handle to use from now on', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [d] = await receive('g', t, { invisibleDurationMs: 10 * SECOND });
        clock.advance(5 * SECOND);
        const changed = await store.changeInvisibleDuration('g', t, d!.receiptHandle, 30 * SECOND);
        if (changed === 'stale') throw new Error('expected a new handle');
        expect(changed.invisibleUntilMs).toBe(clock.now() + 30 * SECOND);
        expect(changed.receiptHandle).not.toBe(d!.receiptHandle);
        expect(await store.nextRedeliveryAtMs('g', t)).toBe(changed.invisibleUntilMs);
        // Past the original deadline: still invisible.
        clock.advance(10 * SECOND);
        expect(await receive('g', t)).toEqual([]);
        expect(await store.ack('g', t, d!.receiptHandle)).toBe('stale');
        expect(await store.ack('g', t, changed.receiptHandle)).toBe('ok');
        clock.advance(60 * SECOND);
        expect(await receive('g', t)).toEqual([]);
      });

      it('changeInvisibleDuration to (almost) zero is a nack: redelivered at once with attempt + 1', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [d] = await receive('g', t);
        const changed = await store.changeInvisibleDuration('g', t, d!.receiptHandle, 0);
        expect(changed).not.toBe('stale');
        const [again] = await receive('g', t);
        expect(again!.deliveryAttempt).toBe(2);
        expect(again!.message.body.toString()).toBe('a');
        if (changed !== 'stale') expect(await store.ack('g', t, changed.receiptHandle)).toBe('stale');
        expect(await store.ack('g', t, again!.receiptHandle)).toBe('ok');
      });

      it('moves messages past maxDeliveryAttempts to %DLQ%<group> instead of delivering them', async () => {
        const t = await topic('q');
        await appendBodies(t, 'poison', 'fine');
        const opts = { maxDeliveryAttempts: 2, invisibleDurationMs: SECOND };
        const first = await receive('g', t, opts);
        expect(first).toHaveLength(2);
        await store.ack('g', t, first[1]!.receiptHandle);
        clock.advance(SECOND);
        const [second] = await receive('g', t, opts);
        expect(second!.deliveryAttempt).toBe(2);
        clock.advance(SECOND);

        const result = await store.receive(request('g', t, opts));
        expect(result.deliveries).toEqual([]);
        expect(result.deadLettered.map((m) => [m.messageId, m.body.toString()])).toEqual([[first[0]!.message.messageId, 'poison']]);
        expect(await store.ack('g', t, second!.receiptHandle)).toBe('stale');
        expect(await store.nextRedeliveryAtMs('g', t)).toBeUndefined();
        clock.advance(60 * SECOND);
        expect(await receive('g', t, opts)).toEqual([]);

        const dlq = await store.getTopic('%DLQ%g');
        expect(dlq).toBeDefined();
        const [dead] = await readAll('%DLQ%g');
        expect(dead).toMatchObject({
          topic: '%DLQ%g',
          messageId: first[0]!.message.messageId,
          deadLetter: { topic: t, messageId: first[0]!.message.messageId, group: 'g' },
        });
        expect(dead!.body.toString()).toBe('poison');
        // The DLQ topic is consumable like any other.
        expect(deliveredBodies(await receive('dlq-reader', '%DLQ%g'))).toEqual(['poison']);
        // Another group keeps its own budget.
        expect(deliveredBodies(await receive('other', t))).toEqual(['poison', 'fine']);
      });

      it('forwardToDeadLetter moves an in-flight message to the DLQ now and acks it', async () => {
        const t = await topic('q');
        await appendBodies(t, 'bad', 'good');
        const [bad, good] = await receive('g', t);
        expect(await store.forwardToDeadLetter('g', t, bad!.receiptHandle)).toBe('ok');
        expect(await store.forwardToDeadLetter('g', t, bad!.receiptHandle)).toBe('stale');
        expect(await store.ack('g', t, bad!.receiptHandle)).toBe('stale');
        const dead = await readAll('%DLQ%g');
        expect(dead.map((m) => [m.body.toString(), m.deadLetter])).toEqual([['bad', { topic: t, messageId: bad!.message.messageId, group: 'g' }]]);
        expect(await store.getTopic('%DLQ%g')).toBeDefined();
        clock.advance(60 * SECOND);
        const again = await receive('g', t);
        expect(deliveredBodies(again)).toEqual(['good']);
        expect(await store.ack('g', t, good!.receiptHandle)).toBe('stale');
      });

      it('FIFO: one message of each message group at a time, in order; other groups are not blocked', async () => {
        const t = await topic('fifo', 'FIFO');
        const m = (group: string, body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: group, body: Buffer.from(body) });
        await store.append(t, 0, [m('A', 'a1'), m('B', 'b1'), m('A', 'a2'), m('A', 'a3'), m('B', 'b2'), m('C', 'c1')]);
        const fifo = { fifo: true, invisibleDurationMs: 10 * SECOND };

        const first = await receive('g', t, fifo);
        expect(deliveredBodies(first)).toEqual(['a1', 'b1', 'c1']);
        expect(await receive('g', t, fifo)).toEqual([]);

        // Acking A's head lets a2 through; B stays blocked behind b1.
        const [a1, b1, c1] = first;
        expect(a1!.message.body.toString()).toBe('a1');
        expect(await store.ack('g', t, a1!.receiptHandle)).toBe('ok');
        const second = await receive('g', t, fifo);
        expect(deliveredBodies(second)).toEqual(['a2']);
        expect(await store.ack('g', t, c1!.receiptHandle)).toBe('ok');
        expect(await receive('g', t, fifo)).toEqual([]);

        // b1 expires: it is redelivered (attempt 2) before b2, and b2 waits.
        clock.advance(10 * SECOND);
        const third = await receive('g', t, fifo);
        // Order across message groups is not part of the contract; within a group it is.
        expect(third.map((d) => [d.message.body.toString(), d.deliveryAttempt]).sort()).toEqual([
          ['a2', 2],
          ['b1', 2],
        ]);
        expect(await store.ack('g', t, b1!.receiptHandle)).toBe('stale');
        for (const d of third) expect(await store.ack('g', t, d.receiptHandle)).toBe('ok');
        const fourth = await receive('g', t, fifo);
        expect(deliveredBodies(fourth).sort()).toEqual(['a3', 'b2']);
        for (const d of fourth) expect(await store.ack('g', t, d.receiptHandle)).toBe('ok');
        expect(await receive('g', t, fifo)).toEqual([]);
        clock.advance(60 * SECOND);
        expect(await receive('g', t, fifo)).toEqual([]);
      });

      it('FIFO: messages appended while a group is blocked still come in order', async () => {
        const t = await topic('fifo', 'FIFO');
        const m = (group: string, body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: group, body: Buffer.from(body) });
        await store.append(t, 0, [m('A', 'a1')]);
        const fifo = { fifo: true, maxMessages: 1 };
        const [a1] = await receive('g', t, fifo);
        await store.append(t, 0, [m('A', 'a2'), m('B', 'b1')]);
        expect(deliveredBodies(await receive('g', t, fifo))).toEqual(['b1']);
        await store.append(t, 0, [m('A', 'a3')]);
        expect(await receive('g', t, fifo)).toEqual([]);
        await store.ack('g', t, a1!.receiptHandle);
        const [a2] = await receive('g', t, fifo);
        expect(a2!.message.body.toString()).toBe('a2');
        await store.ack('g', t, a2!.receiptHandle);
        expect(deliveredBodies(await receive('g', t, fifo))).toEqual(['a3']);
      });

      it('FIFO: a message group whose head reaches the DLQ continues with its next message', async () => {
        const t = await topic('fifo', 'FIFO');
        const m = (group: string, body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: group, body: Buffer.from(body) });
        await store.append(t, 0, [m('A', 'a1'), m('A', 'a2')]);
        const opts = { fifo: true, maxDeliveryAttempts: 1, invisibleDurationMs: SECOND };
        expect(deliveredBodies(await receive('g', t, opts))).toEqual(['a1']);
        clock.advance(SECOND);
        const got: string[] = [];
        const dead: string[] = [];
        // The store may need another call to release the next message of the group.
        for (let i = 0; i < 3 && got.length === 0; i++) {
          const r = await store.receive(request('g', t, opts));
          got.push(...deliveredBodies(r.deliveries));
          dead.push(...bodies(r.deadLettered));
        }
        expect(dead).toEqual(['a1']);
        expect(got).toEqual(['a2']);
        expect(bodies(await readAll('%DLQ%g'))).toEqual(['a1']);
      });

      it('groupStats reports consumed offset, lag and in-flight count per topic', async () => {
        const t = await topic('q');
        const u = await topic('u');
        expect(await store.groupStats('g')).toEqual([]);
        await appendBodies(t, 'a', 'b', 'c', 'd');
        await appendBodies(u, 'x');
        const ds = await receive('g', t, { maxMessages: 3 });
        expect(await store.groupStats('g')).toEqual([{ group: 'g', topic: t, consumedOffset: 3, lag: 1, inFlight: 3 }]);
        await store.ack('g', t, ds[0]!.receiptHandle);
        await receive('g', u);
        const stats = (await store.groupStats('g')).sort((a, b) => a.topic.localeCompare(b.topic));
        expect(stats).toEqual([
          { group: 'g', topic: t, consumedOffset: 3, lag: 1, inFlight: 2 },
          { group: 'g', topic: u, consumedOffset: 1, lag: 0, inFlight: 1 },
        ]);
        expect(await store.groupStats('other')).toEqual([]);
      });
    });

    // ---------------------------------------------------------------------------------------
    describe('push consumer deliveries (auto-renew)', () => {
      const renewing = (clientId = 'push-1'): Partial<ReceiveRequest> => ({ autoRenew: { clientId }, invisibleDurationMs: 60 * SECOND });
      const backoff = { initialMs: 2 * SECOND, maxMs: 10 * SECOND, multiplier: 2 };

      it('records auto-renewed deliveries with their client; renewal extends them and keeps the handle valid', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b');
        const [a] = await receive('g', t, { ...renewing(), maxMessages: 1 });
        await receive('g', t, { maxMessages: 1, invisibleDurationMs: 60 * SECOND }); // a plain delivery is not listed
        expect(await store.listAutoRenewed()).toEqual([
          { group: 'g', topic: t, receiptHandle: a!.receiptHandle, clientId: 'push-1', deliveryAttempt: 1, invisibleUntilMs: a!.invisibleUntilMs, sinceMs: clock.now() },
        ]);
        clock.advance(55 * SECOND);
        const renewed = await store.renewInvisibility('g', t, a!.receiptHandle, 60 * SECOND);
        expect(renewed).toEqual({ invisibleUntilMs: clock.now() + 60 * SECOND });
        expect(await store.nextRedeliveryAtMs('g', t)).toBe(clock.now() + 5 * SECOND); // b expires first
        clock.advance(30 * SECOND); // past a's original deadline
        expect(deliveredBodies(await receive('g', t))).toEqual(['b']);
        expect((await store.listAutoRenewed()).map((d) => [d.receiptHandle, d.invisibleUntilMs])).toEqual([[a!.receiptHandle, clock.now() + 30 * SECOND]]);
        // The handle the client got at first still acks.
        expect(await store.ack('g', t, a!.receiptHandle)).toBe('ok');
        expect(await store.renewInvisibility('g', t, a!.receiptHandle, 60 * SECOND)).toBe('stale');
        expect(await store.listAutoRenewed()).toEqual([]);
      });

      it('renewInvisibility refuses plain deliveries and stale handles', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [plain] = await receive('g', t, { invisibleDurationMs: 10 * SECOND });
        expect(await store.renewInvisibility('g', t, plain!.receiptHandle, 60 * SECOND)).toBe('stale');
        clock.advance(10 * SECOND);
        const [pushed] = await receive('g', t, renewing());
        expect(pushed!.deliveryAttempt).toBe(2);
        expect(await store.renewInvisibility('g', t, plain!.receiptHandle, 60 * SECOND)).toBe('stale');
        expect(await store.renewInvisibility('other', t, pushed!.receiptHandle, 60 * SECOND)).toBe('stale');
        expect(await store.renewInvisibility('g', t, pushed!.receiptHandle, 60 * SECOND)).not.toBe('stale');
      });

      it('a redelivery without auto-renew clears the mark', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [first] = await receive('g', t, renewing());
        clock.advance(60 * SECOND);
        const [second] = await receive('g', t, { invisibleDurationMs: 10 * SECOND });
        expect(second!.deliveryAttempt).toBe(2);
        expect(await store.listAutoRenewed()).toEqual([]);
        expect(await store.renewInvisibility('g', t, first!.receiptHandle, SECOND)).toBe('stale');
        expect(await store.renewInvisibility('g', t, second!.receiptHandle, SECOND)).toBe('stale');
      });

      it("a nack of an auto-renewed delivery waits at least the back-off of its attempt and ends the renewal", async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [first] = await receive('g', t, renewing());
        const nacked = await store.changeInvisibleDuration('g', t, first!.receiptHandle, 1, { autoRenewBackoff: backoff });
        if (nacked === 'stale') throw new Error('expected a handle');
        expect(nacked.invisibleUntilMs).toBe(clock.now() + 2 * SECOND);
        expect(await store.listAutoRenewed()).toEqual([]);
        expect(await store.renewInvisibility('g', t, first!.receiptHandle, SECOND)).toBe('stale');
        clock.advance(2 * SECOND - 1);
        expect(await receive('g', t, renewing())).toEqual([]);
        clock.advance(1);
        const [second] = await receive('g', t, renewing());
        expect(second!.deliveryAttempt).toBe(2);
        const again = await store.changeInvisibleDuration('g', t, second!.receiptHandle, 0, { autoRenewBackoff: backoff });
        expect(again !== 'stale' && again.invisibleUntilMs).toBe(clock.now() + 4 * SECOND);
        clock.advance(4 * SECOND);
        const [third] = await receive('g', t, renewing());
        // A longer requested duration wins; the cap applies to the back-off only.
        const long = await store.changeInvisibleDuration('g', t, third!.receiptHandle, 30 * SECOND, { autoRenewBackoff: backoff });
        expect(long !== 'stale' && long.invisibleUntilMs).toBe(clock.now() + 30 * SECOND);
      });

      it('the back-off does not apply to plain deliveries (SimpleConsumer changeInvisibleDuration)', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [d] = await receive('g', t, { invisibleDurationMs: 10 * SECOND });
        const changed = await store.changeInvisibleDuration('g', t, d!.receiptHandle, 1, { autoRenewBackoff: backoff });
        expect(changed !== 'stale' && changed.invisibleUntilMs).toBe(clock.now() + 1);
      });
    });

    // ---------------------------------------------------------------------------------------
    describe('offset reset', () => {
      it('earliest re-consumes everything retained with fresh attempts; in-flight handles go stale', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b', 'c');
        const ds = await receive('g', t);
        await store.ack('g', t, ds[0]!.receiptHandle);
        const [reset] = await store.resetOffset('g', t, { kind: 'earliest' });
        expect(reset).toEqual({ topic: t, queueId: 0, previousOffset: 3, newOffset: 0, droppedInFlight: 2 });
        expect(await store.ack('g', t, ds[1]!.receiptHandle)).toBe('stale');
        expect(await store.nextRedeliveryAtMs('g', t)).toBeUndefined();
        const again = await receive('g', t);
        expect(again.map((d) => [d.message.body.toString(), d.deliveryAttempt])).toEqual([
          ['a', 1],
          ['b', 1],
          ['c', 1],
        ]);
      });

      it('latest skips everything sent so far, also for a group that never consumed the topic', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b');
        expect(await store.resetOffset('fresh', t, { kind: 'latest' })).toEqual([{ topic: t, queueId: 0, previousOffset: 0, newOffset: 2, droppedInFlight: 0 }]);
        expect(await receive('fresh', t)).toEqual([]);
        await appendBodies(t, 'c');
        expect(deliveredBodies(await receive('fresh', t))).toEqual(['c']);
        expect(await store.groupStats('fresh')).toEqual([{ group: 'fresh', topic: t, consumedOffset: 3, lag: 0, inFlight: 1 }]);
      });

      it('a timestamp goes to the first message stored at or after it', async () => {
        const t = await topic('q');
        const t0 = clock.now();
        await appendBodies(t, 'a', 'b');
        clock.advance(10 * SECOND);
        await appendBodies(t, 'c', 'd');
        clock.advance(10 * SECOND);
        await appendBodies(t, 'e');
        const to = async (timestampMs: number): Promise<number> => (await store.resetOffset('g', t, { kind: 'timestamp', timestampMs }))[0]!.newOffset;
        expect(await to(t0 - 1)).toBe(0);
        expect(await to(t0)).toBe(0);
        expect(await to(t0 + 1)).toBe(2);
        expect(await to(t0 + 10 * SECOND)).toBe(2);
        expect(await to(t0 + 15 * SECOND)).toBe(4);
        expect(await to(t0 + 60 * SECOND)).toBe(5);
        await to(t0 + 5 * SECOND);
        expect(deliveredBodies(await receive('g', t))).toEqual(['c', 'd', 'e']);
      });

      it('drops FIFO waiting state: message groups restart in order from the new position', async () => {
        const t = await topic('fifo', 'FIFO');
        const m = (group: string, body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: group, body: Buffer.from(body) });
        await store.append(t, 0, [m('A', 'a1'), m('A', 'a2'), m('B', 'b1')]);
        expect(deliveredBodies(await receive('g', t, { fifo: true }))).toEqual(['a1', 'b1']);
        expect((await store.groupStats('g'))[0]).toMatchObject({ lag: 1, inFlight: 2 }); // a2 waits
        const [reset] = await store.resetOffset('g', t, { kind: 'earliest' });
        expect(reset!.droppedInFlight).toBe(3);
        expect(deliveredBodies(await receive('g', t, { fifo: true }))).toEqual(['a1', 'b1']);
      });

      it('an unknown topic is TOPIC_NOT_FOUND', async () => {
        await expectBrokerError(store.resetOffset('g', 'nope', { kind: 'earliest' }), Code.TOPIC_NOT_FOUND);
      });
    });

    // ---------------------------------------------------------------------------------------
    describe('retention (purgeQueue)', () => {
      it('deletes messages stored before a time, oldest first; groups behind move up and lose deleted deliveries', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b', 'c');
        const cutoff = clock.now() + 1;
        clock.advance(SECOND);
        await appendBodies(t, 'd');
        const [a] = await receive('reader', t, { maxMessages: 1 }); // in flight, about to be deleted
        await receive('ahead', t, { maxMessages: 4 });
        const result = await store.purgeQueue(t, 0, { beforeTimestampMs: cutoff, maxMessages: 100 });
        expect(result).toEqual({ deleted: 3, minOffset: 3, more: false });
        expect(bodies(await readAll(t))).toEqual(['d']);
        expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 3, maxOffset: 4 }]);
        expect(await store.ack('reader', t, a!.receiptHandle)).toBe('stale');
        expect(await store.groupStats('reader')).toEqual([{ group: 'reader', topic: t, consumedOffset: 3, lag: 1, inFlight: 0 }]);
        expect((await store.groupStats('ahead'))[0]).toMatchObject({ consumedOffset: 4, lag: 0, inFlight: 1 });
        expect(deliveredBodies(await receive('reader', t))).toEqual(['d']);
        expect(deliveredBodies(await receive('newcomer', t))).toEqual(['d']);
        expect(await store.purgeQueue(t, 0, { beforeTimestampMs: cutoff, maxMessages: 100 })).toEqual({ deleted: 0, minOffset: 3, more: false });
      });

      it('deletes at most maxMessages per call and reports more', async () => {
        const t = await topic('q');
        await store.append(t, 0, range(5).map(() => makeMessage(t)));
        const before = clock.now() + 1;
        expect(await store.purgeQueue(t, 0, { beforeTimestampMs: before, maxMessages: 2 })).toEqual({ deleted: 2, minOffset: 2, more: true });
        expect(await store.purgeQueue(t, 0, { beforeTimestampMs: before, maxMessages: 2 })).toEqual({ deleted: 2, minOffset: 4, more: true });
        expect(await store.purgeQueue(t, 0, { beforeTimestampMs: before, maxMessages: 2 })).toEqual({ deleted: 1, minOffset: 5, more: false });
        expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 5, maxOffset: 5 }]);
        const [next] = await appendBodies(t, 'after');
        expect(next!.offset).toBe(5);
      });

      it('deletes the oldest messages while the queue is over maxBytes', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b', 'c');
        expect(await store.purgeQueue(t, 0, { maxBytes: 1_000_000, maxMessages: 100 })).toMatchObject({ deleted: 0 });
        expect(await store.purgeQueue(t, 0, { maxBytes: 1, maxMessages: 100 })).toEqual({ deleted: 3, minOffset: 3, more: false });
        await appendBodies(t, 'd', 'e');
        expect(await store.purgeQueue(t, 0, { maxBytes: 1_000_000, maxMessages: 100 })).toMatchObject({ deleted: 0 });
        expect(await store.purgeQueue(t, 0, { maxBytes: 1, maxMessages: 100 })).toEqual({ deleted: 2, minOffset: 5, more: false });
      });

      it('an unknown topic purges nothing', async () => {
        expect(await store.purgeQueue('nope', 0, { beforeTimestampMs: clock.now(), maxMessages: 10 })).toMatchObject({ deleted: 0, more: false });
      });
    });

    // ---------------------------------------------------------------------------------------
    describe('wake-ups', () => {
      it('onAppend fires after append, commit and promotion, and stops after unsubscribe', async () => {
        const t = await topic('woken', 'TRANSACTION');
        let calls = 0;
        let sentinel = 0;
        const off = store.onAppend(t, () => calls++);
        const offSentinel = store.onAppend(t, () => sentinel++);

        await appendBodies(t, 'a');
        await vi.waitFor(() => expect(calls).toBe(1), { timeout: 2000, interval: 5 });

        await store.putHalf(half(t, 'TX-W'));
        await store.endTransaction('TX-W', 'COMMIT', 'CLIENT');
        await vi.waitFor(() => expect(calls).toBe(2), { timeout: 2000, interval: 5 });

        await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + 1 })]);
        clock.advance(1);
        expect(await store.promoteDueScheduled(10)).toBe(1);
        await vi.waitFor(() => expect(calls).toBe(3), { timeout: 2000, interval: 5 });

        off();
        const before = sentinel;
        await appendBodies(t, 'b');
        await vi.waitFor(() => expect(sentinel).toBeGreaterThan(before), { timeout: 2000, interval: 5 });
        expect(calls).toBe(3);
        offSentinel();
      });

      it('onAppend is per topic and works for any valid topic name', async () => {
        // "error" is a valid RocketMQ topic name and must not be special anywhere.
        const names = ['error', 'newListener', 'orders'];
        const calls = new Map<string, number>();
        for (const n of names) await topic(n);
        // No listener yet: appending still just works.
        expect(offsets(await appendBodies('error', 'first'))).toEqual([0]);
        expect(offsets(await appendBodies('newListener', 'first'))).toEqual([0]);
        for (const n of names) store.onAppend(n, () => calls.set(n, (calls.get(n) ?? 0) + 1));
        expect(calls.size).toBe(0);
        await appendBodies('error', 'boom');
        await vi.waitFor(() => expect(calls.get('error')).toBe(1), { timeout: 2000, interval: 5 });
        expect(calls.get('orders')).toBeUndefined();
        expect(deliveredBodies(await receive('g', 'error'))).toEqual(['first', 'boom']);
        await appendBodies('orders', 'o');
        await vi.waitFor(() => expect(calls.get('orders')).toBe(1), { timeout: 2000, interval: 5 });
        expect(calls.get('error')).toBe(1);
      });

      it('a listener that throws does not fail the write', async () => {
        const t = await topic('q');
        let good = 0;
        store.onAppend(t, () => {
          throw new Error('listener bug');
        });
        store.onAppend(t, () => good++);
        const [m] = await appendBodies(t, 'a');
        expect(m!.offset).toBe(0);
        await vi.waitFor(() => expect(good).toBe(1), { timeout: 2000, interval: 5 });
        expect(bodies(await readAll(t))).toEqual(['a']);
      });
    });

    // ---------------------------------------------------------------------------------------
    describe('restart (when the backend can reopen)', () => {
      async function restart(): Promise<boolean> {
        if (!harness.reopen) return false;
        store = await harness.reopen();
        return true;
      }

      it('keeps topics, groups, committed messages and continues offsets', async () => {
        const t = await topic('durable', 'FIFO');
        await store.upsertGroup({ name: 'cg', fifo: true, maxDeliveryAttempts: 5 });
        await appendBodies(t, 'a', 'b');
        const topicRecord = await store.getTopic(t);
        if (!(await restart())) return;
        expect(await store.getTopic(t)).toEqual(topicRecord);
        expect(await store.getGroup('cg')).toMatchObject({ name: 'cg', fifo: true, maxDeliveryAttempts: 5 });
        expect(bodies(await readAll(t))).toEqual(['a', 'b']);
        expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 0, maxOffset: 2 }]);
        const [c] = await appendBodies(t, 'c');
        expect(c!.offset).toBe(2);
      });

      it('keeps half messages, their check state, decisions and counters', async () => {
        const t = await topic('tx', 'TRANSACTION');
        await store.putHalf(half(t, 'TX-P', { nextCheckAtMs: clock.now() }));
        await store.putHalf(half(t, 'TX-A', { nextCheckAtMs: clock.now() }));
        await store.putHalf(half(t, 'TX-C'));
        await claim(t, { clientId: 'c1', nextCheckInMs: 5 * SECOND });
        await store.abandonTransaction('TX-A', 'kept');
        await store.endTransaction('TX-C', 'COMMIT', 'CLIENT');
        const pending = await store.getHalf('TX-P');
        const decision = await store.getDecision('TX-C');
        const counters = store.transactionCounters();
        if (!(await restart())) return;
        expect(await store.getHalf('TX-P')).toEqual(pending);
        expect((await store.getHalf('TX-A'))?.state).toBe('ABANDONED');
        expect(await store.getDecision('TX-C')).toEqual(decision);
        expect(await store.endTransaction('TX-C', 'ROLLBACK', 'SERVER_CHECK')).toEqual({ kind: 'conflict', decision });
        expect(store.transactionCounters()).toMatchObject({
          pending: 1,
          abandoned: 1,
          committed: counters.committed,
          rolledBack: counters.rolledBack,
          checksSent: counters.checksSent,
        });
        expect(await store.pendingProducerGroups()).toEqual([t]);
        expect(await store.nextCheckDueAtMs(t)).toBe(clock.now() + 5 * SECOND);
        clock.advance(5 * SECOND);
        expect((await claim(t)).claimed.map((h) => [h.transactionId, h.checkCount])).toEqual([['TX-P', 2]]);
        expect((await store.endTransaction('TX-P', 'COMMIT', 'CLIENT')).kind).toBe('applied');
        expect(bodies(await readAll(t))).toEqual(['tx-TX-C', 'tx-TX-P']);
      });

      it('keeps consumer offsets and in-flight deliveries, whose handles still work', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b', 'c', 'd');
        const [a, b] = await receive('g', t, { maxMessages: 3, invisibleDurationMs: 10 * SECOND });
        await store.ack('g', t, a!.receiptHandle);
        if (!(await restart())) return;
        expect(await store.nextRedeliveryAtMs('g', t)).toBe(b!.invisibleUntilMs);
        expect(await store.groupStats('g')).toEqual([{ group: 'g', topic: t, consumedOffset: 3, lag: 1, inFlight: 2 }]);
        // No redelivery before the deadline; new messages continue from the offset.
        expect(deliveredBodies(await receive('g', t))).toEqual(['d']);
        expect(await store.ack('g', t, b!.receiptHandle)).toBe('ok');
        clock.advance(10 * SECOND);
        const again = await receive('g', t);
        expect(again.map((d) => [d.message.body.toString(), d.deliveryAttempt])).toEqual([['c', 2]]);
        expect(await store.ack('g', t, a!.receiptHandle)).toBe('stale');
      });

      it('keeps FIFO ordering state', async () => {
        const t = await topic('fifo', 'FIFO');
        const m = (body: string): MessageInput => makeMessage(t, { messageType: 'FIFO', messageGroup: 'A', body: Buffer.from(body) });
        await store.append(t, 0, [m('a1'), m('a2'), m('a3')]);
        const [a1] = await receive('g', t, { fifo: true });
        expect(a1!.message.body.toString()).toBe('a1');
        if (!(await restart())) return;
        expect(await receive('g', t, { fifo: true })).toEqual([]);
        expect(await store.ack('g', t, a1!.receiptHandle)).toBe('ok');
        expect(deliveredBodies(await receive('g', t, { fifo: true }))).toEqual(['a2']);
      });

      it('keeps auto-renewed deliveries (listed, renewable, ackable with the first handle)', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a');
        const [d] = await receive('g', t, { autoRenew: { clientId: 'push-1' }, invisibleDurationMs: 60 * SECOND });
        if (!(await restart())) return;
        expect((await store.listAutoRenewed()).map((x) => [x.receiptHandle, x.clientId])).toEqual([[d!.receiptHandle, 'push-1']]);
        expect(await store.renewInvisibility('g', t, d!.receiptHandle, 60 * SECOND)).not.toBe('stale');
        expect(await store.ack('g', t, d!.receiptHandle)).toBe('ok');
      });

      it('never reuses offsets of a queue emptied by retention', async () => {
        const t = await topic('q');
        await appendBodies(t, 'a', 'b');
        await store.purgeQueue(t, 0, { beforeTimestampMs: clock.now() + 1, maxMessages: 10 });
        if (!(await restart())) return;
        expect(await store.queueStats(t)).toEqual([{ topic: t, queueId: 0, minOffset: 2, maxOffset: 2 }]);
        const [c] = await appendBodies(t, 'c');
        expect(c!.offset).toBe(2);
        expect(deliveredBodies(await receive('new-group', t))).toEqual(['c']);
      });

      it('keeps scheduled messages and their sequence', async () => {
        const t = await topic('delayed', 'DELAY');
        const [seq] = await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + SECOND, body: Buffer.from('later') })]);
        if (!(await restart())) return;
        expect(await store.nextScheduledAtMs()).toBe(clock.now() + SECOND);
        const [next] = await store.schedule(t, 0, [makeMessage(t, { deliveryTimestampMs: clock.now() + 2 * SECOND, body: Buffer.from('latest') })]);
        expect(next!).toBeGreaterThan(seq!);
        clock.advance(2 * SECOND);
        expect(await store.promoteDueScheduled(10)).toBe(2);
        expect(bodies(await readAll(t))).toEqual(['later', 'latest']);
      });
    });
  });
}
