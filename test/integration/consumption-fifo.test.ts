// FIFO consumption with the official PushConsumer and a FIFO group (created through the admin
// API, so the client picks its FIFO consume service from the settings): per message group in
// send order, one at a time (the next only after the previous was acked or dead-lettered),
// different message groups in parallel, with failing listeners (local retries) and a poison
// message forwarded to the DLQ by the client (ForwardMessageToDeadLetterQueue).
import { ConsumeResult, type MessageView } from 'rocketmq-client-nodejs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import { Clients, CONSUMPTION_TIMINGS, drain, sleep } from '../helpers/consumption.js';
import { rawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
const clients = new Clients(() => tb);
beforeAll(async () => {
  tb = await startTestBroker(CONSUMPTION_TIMINGS);
});
afterAll(async () => {
  await clients.shutdown();
  await tb.close();
});

interface Run {
  group: string;
  seq: number;
  attempt: number;
  consumer: string;
  start: number;
  end: number;
  ok: boolean;
}

it('delivers each message group in send order, one at a time, groups in parallel, with failures and a poison message', async () => {
  const topic = uniqueName('TFIFO');
  await tb.broker.services.topics.create(topic, 'FIFO');
  const group = uniqueName('GFIFO');
  const raw = rawClient(tb.endpoint);
  expect((await raw.admin('CreateGroup', { name: group, fifo: true, max_delivery_attempts: 4 })).status.code).toBe('OK');
  raw.close();

  const GROUPS = ['A', 'B', 'C', 'D', 'P'];
  const PER_GROUP = 10;
  const runs: Run[] = [];
  const active = new Set<string>();
  let maxActiveGroups = 0;
  const listener = async (m: MessageView, consumer: string): Promise<ConsumeResult> => {
    const seq = Number(m.properties.get('seq'));
    const g = m.messageGroup!;
    const run: Run = { group: g, seq, attempt: m.deliveryAttempt ?? 0, consumer, start: Date.now(), end: 0, ok: false };
    active.add(g);
    maxActiveGroups = Math.max(maxActiveGroups, active.size);
    await sleep(15);
    active.delete(g);
    // Every third message fails its first attempt; P-2 always fails (poison).
    run.ok = !(g === 'P' && seq === 2) && !(seq % 3 === 1 && run.attempt === 1);
    run.end = Date.now();
    runs.push(run);
    return run.ok ? ConsumeResult.SUCCESS : ConsumeResult.FAILURE;
  };
  const consumers = ['c1', 'c2', 'c3'];
  for (const name of consumers) {
    const c = await clients.push({ group, topic, name, listener });
    expect(c.getPushConsumerSettings().isFifo()).toBe(true); // the settings told the client: FIFO consume service
  }
  const p = await clients.producer(topic);
  for (let seq = 0; seq < PER_GROUP; seq++) {
    await Promise.all(GROUPS.map((g) => p.send({ topic, messageGroup: g, body: Buffer.from(`${g}-${seq}`), properties: new Map([['seq', String(seq)]]) })));
  }

  const expectedOk = GROUPS.length * PER_GROUP - 1;
  await waitFor(() => (runs.filter((r) => r.ok).length >= expectedOk ? true : undefined), 30_000, 'all messages consumed');
  await waitFor(async () => ((await tb.broker.store.groupStats(group))[0]?.inFlight === 0 ? true : undefined), 5000, 'acks');
  await sleep(800);

  for (const g of GROUPS) {
    const mine = runs.filter((r) => r.group === g);
    const succeeded = mine.filter((r) => r.ok).map((r) => r.seq);
    const expected = [...Array(PER_GROUP).keys()].filter((s) => !(g === 'P' && s === 2));
    expect(succeeded, `group ${g}: each message once, in send order`).toEqual(expected);
    // Every attempt in order: a message's retries come before the next message, never interleaved.
    const seqs = mine.map((r) => r.seq);
    expect(seqs, `group ${g}: attempts in order`).toEqual([...seqs].sort((a, b) => a - b));
    for (let i = 1; i < mine.length; i++) {
      expect(mine[i]!.start, `group ${g}: one at a time`).toBeGreaterThanOrEqual(mine[i - 1]!.end);
    }
  }
  // Failures were retried with increasing attempts; the poison message used all 4, then went to the DLQ.
  expect(runs.filter((r) => r.group === 'A' && r.seq === 1).map((r) => r.attempt)).toEqual([1, 2]);
  expect(runs.filter((r) => r.group === 'P' && r.seq === 2).map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
  const reader = await clients.simple(uniqueName('DlqReader'), `%DLQ%${group}`);
  const dead = await drain(reader, 1);
  expect(dead.map((m) => [m.body.toString(), m.messageGroup])).toEqual([['P-2', 'P']]);
  // Different message groups were consumed at the same time, by more than one consumer.
  expect(maxActiveGroups).toBeGreaterThanOrEqual(2);
  expect(new Set(runs.map((r) => r.consumer)).size).toBeGreaterThanOrEqual(2);
});
