// Time and durability with the official client: DELAY messages arrive no earlier than their
// delivery time and within a second after it (also across a broker restart); consumer offsets
// and in-flight deliveries survive a restart (old handles still ack, unacked ones come back);
// retention deletes old messages in the background while sends go on, moving lagging groups.
import { ConsumeResult } from 'rocketmq-client-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import { Clients, CONSUMPTION_TIMINGS, drain, sleep, type Seen } from '../helpers/consumption.js';

describe('delay and restart', () => {
  let tb: TestBroker;
  const clients = new Clients(() => tb);
  beforeAll(async () => {
    tb = await startTestBroker(CONSUMPTION_TIMINGS);
  });
  afterAll(async () => {
    await clients.shutdown();
    await tb.close();
  });

  async function topic(type: 'NORMAL' | 'DELAY'): Promise<string> {
    const name = uniqueName(`T${type}`);
    await tb.broker.services.topics.create(name, type);
    return name;
  }

  it('delivers DELAY messages to a PushConsumer no earlier than due and within 1 s after', async () => {
    const t = await topic('DELAY');
    const seen: Seen[] = [];
    /** The client stamps the delivery time while send() runs: it lies between these two. */
    const due = new Map<string, { earliest: number; latest: number }>();
    await clients.push({ group: uniqueName('G'), topic: t, seen, listener: () => ConsumeResult.SUCCESS });
    await sleep(1200); // polling
    const p = await clients.producer(t);
    for (const delay of [800, 1500, 2200]) {
      const before = Date.now();
      const r = await p.send({ topic: t, delay, body: Buffer.from(`after ${delay}`) });
      due.set(r.messageId, { earliest: before + delay, latest: Date.now() + delay });
    }
    await waitFor(() => (seen.length >= 3 ? true : undefined), 10_000, 'three delayed messages');
    for (const s of seen) {
      const { earliest, latest } = due.get(s.messageId)!;
      expect(s.at, s.body).toBeGreaterThanOrEqual(earliest - 5); // clock granularity
      expect(s.at - latest, s.body).toBeLessThan(1000);
    }
    await clients.shutdown();
  });

  it('keeps DELAY messages, offsets and in-flight deliveries across a restart', async () => {
    const delayed = await topic('DELAY');
    const normal = await topic('NORMAL');
    const group = uniqueName('G');
    const p = await clients.producer(normal);
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) sent.push((await p.send({ topic: normal, body: Buffer.from(`m${i}`) })).messageId);
    const pd = await clients.producer(delayed);
    // Taken before the send: the client stamps the delivery time when it builds the request, so
    // a slow send (a loaded machine, a PostgreSQL round trip) does not shift it.
    const dueAt = Date.now() + 2500;
    const delayedSent = await pd.send({ topic: delayed, delay: 2500, body: Buffer.from('later') });

    const before = await clients.simple(group, normal);
    // Taken before the receive: its invisibility starts while the call runs, so no redelivery
    // comes earlier than 3 s after this (however long the response and the ack take).
    const receivedAt = Date.now();
    const first = await before.receive(3, 3000); // invisible 3 s
    expect(first.map((m) => m.body.toString())).toEqual(['m0', 'm1', 'm2']);
    await before.ack(first[0]!);
    await clients.shutdown();

    tb = await tb.restart();

    const after = await clients.simple(group, normal);
    // The offset survived: m3..m5 next, m1 and m2 are still invisible.
    const next = await drain(after, 3, 5000, false);
    expect(next.map((m) => m.body.toString())).toEqual(['m3', 'm4', 'm5']);
    for (const m of next) await after.ack(m);
    // A handle issued before the restart still acks.
    await after.ack(first[1]!);
    // m2 comes back once its invisible time is over, as attempt 2; m0 and m1 never do.
    const again = await drain(after, 1, 8000, false);
    expect(again.map((m) => [m.body.toString(), m.deliveryAttempt])).toEqual([['m2', 2]]);
    expect(Date.now() - receivedAt).toBeGreaterThanOrEqual(3000 - 5); // clock granularity
    await after.ack(again[0]!);
    expect(await after.receive(4, 3000)).toHaveLength(0);

    // The DELAY message scheduled before the restart became readable on time (stored when due).
    const dc = await clients.simple(uniqueName('G'), delayed, 3000);
    const [late] = await drain(dc, 1, 8000);
    expect(late!.messageId).toBe(delayedSent.messageId);
    const due = late!.deliveryTimestamp!.getTime();
    expect(Math.abs(due - dueAt)).toBeLessThan(200);
    const [stored] = await tb.broker.store.read(delayed, 0, 0, 1);
    expect(stored!.storeTimestampMs).toBeGreaterThanOrEqual(due);
    expect(stored!.storeTimestampMs - due).toBeLessThan(1000);
  });
});

describe('retention', () => {
  let tb: TestBroker;
  const clients = new Clients(() => tb);
  beforeAll(async () => {
    tb = await startTestBroker({ ...CONSUMPTION_TIMINGS, retentionMs: 3000, retentionCheckIntervalMs: 200 });
  });
  afterAll(async () => {
    await clients.shutdown();
    await tb.close();
  });

  it('keeps consumed messages readable until the retention age, then deletes the oldest in the background', async () => {
    const t = uniqueName('TRet');
    await tb.broker.services.topics.create(t, 'NORMAL');
    const { store } = tb.broker;
    const p = await clients.producer(t);
    for (let i = 0; i < 10; i++) await p.send({ topic: t, body: Buffer.from(`old${i}`) });
    const fast = uniqueName('Fast');
    const c = await clients.simple(fast, t);
    expect(await drain(c, 10)).toHaveLength(10);
    // Consumed, but within the retention age: still readable, and a new group gets everything.
    expect(await store.read(t, 0, 0, 100)).toHaveLength(10);
    const lagging = uniqueName('Lagging');
    const peek = await clients.simple(lagging, t);
    const [m0] = await peek.receive(1, 10_000);
    expect(m0!.body.toString()).toBe('old0');

    // Sends keep flowing while retention runs, each one quick.
    const slowest: number[] = [];
    const end = Date.now() + 3300;
    let n = 0;
    while (Date.now() < end) {
      const s = Date.now();
      await p.send({ topic: t, body: Buffer.from(`new${n++}`) });
      slowest.push(Date.now() - s);
      await sleep(100);
    }
    await waitFor(async () => ((await store.queueStats(t))[0]!.minOffset >= 10 ? true : undefined), 5000, 'the old messages to go');
    // (The same purge then moves the groups: wait for the lagging one to drop its deleted delivery.)
    await waitFor(async () => ((await store.groupStats(lagging))[0]!.inFlight === 0 ? true : undefined), 5000, 'the lagging group to move');
    const [stats] = await store.queueStats(t);
    expect(stats!.maxOffset).toBe(10 + n);
    const retained = await store.read(t, 0, 0, 1000);
    expect(retained.every((m) => m.body.toString().startsWith('new'))).toBe(true);
    expect(Math.max(...slowest)).toBeLessThan(1000);
    // The lagging group moved past the deleted messages; its stale handle is refused; it goes on.
    const [lag] = await store.groupStats(lagging);
    expect(lag!.consumedOffset).toBeGreaterThanOrEqual(stats!.minOffset);
    await expect(peek.ack(m0!)).rejects.toThrow(/receipt handle/i);
    // (Not acked: retention keeps deleting the new messages as they age, which would stale the handles.)
    const rest = await peek.receive(32, 10_000);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((m) => m.body.toString().startsWith('new'))).toBe(true);
  });
});
