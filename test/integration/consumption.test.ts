// Consumption with the unmodified official PushConsumer: happy path, retries with back-off and
// increasing delivery attempts, dead-lettering after the group's max attempts (set through the
// admin API) with the DLQ consumable, server-side auto-renewal of a long handler (the original
// receipt handle still acks), release of a killed consumer's messages, several groups, and many
// consumers sharing one group's work.
import * as grpc from '@grpc/grpc-js';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConsumeResult } from 'rocketmq-client-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import { Clients, CONSUMPTION_TIMINGS, drain, sleep, type Seen } from '../helpers/consumption.js';
import { receiveMessage } from '../../src/protocol/handlers/receive-message.js';
import { rawClient } from '../helpers/raw-client.js';

const WORKER = fileURLToPath(new URL('../fixtures/push-hang-worker.ts', import.meta.url));
let tb: TestBroker;
const clients = new Clients(() => tb);

beforeAll(async () => {
  tb = await startTestBroker(CONSUMPTION_TIMINGS);
});
// Every test uses its own topic and groups: clients are shut down together at the end (a
// PushConsumer's shutdown waits out its long poll and a grace second).
afterAll(async () => {
  await clients.shutdown();
  await tb.close();
});

async function topic(type: 'NORMAL' | 'FIFO' = 'NORMAL'): Promise<string> {
  const name = uniqueName(`T${type}`);
  await tb.broker.services.topics.create(name, type);
  return name;
}

async function admin(method: string, request: Record<string, unknown>) {
  const raw = rawClient(tb.endpoint);
  try {
    const res = await raw.admin(method, request);
    expect(res.status.code, res.status.message).toBe('OK');
    return res;
  } finally {
    raw.close();
  }
}

async function groupStats(group: string) {
  const [stats] = await tb.broker.store.groupStats(group);
  return stats;
}

describe('PushConsumer', () => {
  it('receives every message once with attempt 1 and acks it: nothing is redelivered', async () => {
    const t = await topic();
    const group = uniqueName('G');
    const seen: Seen[] = [];
    await clients.push({ group, topic: t, seen });
    const p = await clients.producer(t);
    const sent: string[] = [];
    for (let i = 0; i < 20; i++)
      sent.push((await p.send({ topic: t, tag: 'T', keys: [`k${i}`], body: Buffer.from(`m${i}`), properties: new Map([['i', String(i)]]) })).messageId);
    await waitFor(() => (seen.length >= 20 ? true : undefined), 10_000, '20 messages');
    await waitFor(async () => ((await groupStats(group))?.inFlight === 0 ? true : undefined), 5000, 'acks');
    // Longer than the auto-renew invisible duration: an acked message never comes back.
    await sleep(1700);
    expect(seen.map((s) => s.messageId).sort()).toEqual([...sent].sort());
    expect(seen.every((s) => s.attempt === 1)).toBe(true);
    expect(await groupStats(group)).toMatchObject({ lag: 0, inFlight: 0 });
  });

  it('retries a failing message with delivery_attempt + 1, waiting the advertised back-off, until it succeeds', async () => {
    const t = await topic();
    const group = uniqueName('G');
    const seen: Seen[] = [];
    await clients.push({ group, topic: t, seen, listener: (m) => ((m.deliveryAttempt ?? 1) <= 3 ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS) });
    const p = await clients.producer(t);
    await p.send({ topic: t, body: Buffer.from('flaky') });
    await waitFor(() => (seen.length >= 4 ? true : undefined), 15_000, 'four deliveries');
    await sleep(1700);
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3, 4]);
    // Back-off 300 ms, 600 ms, 1200 ms (initial 300, ×2, max 1200): measured between deliveries.
    const gaps = seen.slice(1).map((s, i) => s.at - seen[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(250);
    expect(gaps[1]).toBeGreaterThanOrEqual(550);
    expect(gaps[2]).toBeGreaterThanOrEqual(1150);
    expect(gaps.every((g) => g < 5000)).toBe(true);
    expect(await groupStats(group)).toMatchObject({ inFlight: 0 });
  });

  it('dead-letters a message that always fails after the group’s max attempts; the DLQ is consumable', async () => {
    const t = await topic();
    const group = uniqueName('G');
    const created = await admin('CreateGroup', { name: group, max_delivery_attempts: 3 });
    expect(created.group).toMatchObject({ name: group, max_delivery_attempts: 3, dead_letter_topic: `%DLQ%${group}` });
    const seen: Seen[] = [];
    await clients.push({ group, topic: t, seen, listener: (m) => (m.body.toString() === 'poison' ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS) });
    const p = await clients.producer(t);
    const poison = await p.send({ topic: t, tag: 'bad', body: Buffer.from('poison'), properties: new Map([['why', 'test']]) });
    await p.send({ topic: t, body: Buffer.from('fine') });
    await waitFor(async () => ((await tb.broker.store.getTopic(`%DLQ%${group}`)) ? true : undefined), 15_000, 'the DLQ topic');
    await sleep(1000);
    const poisonSeen = seen.filter((s) => s.body === 'poison');
    expect(poisonSeen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(seen.filter((s) => s.body === 'fine')).toHaveLength(1);

    const described = await admin('DescribeGroup', { name: group });
    expect(described.group).toMatchObject({ dead_letters: '1', in_flight: '0' });
    // The DLQ is an ordinary topic: inspect it with a SimpleConsumer.
    const reader = await clients.simple(uniqueName('DlqReader'), `%DLQ%${group}`);
    const [dead, ...more] = await drain(reader, 1);
    expect(more).toHaveLength(0);
    expect(dead!.messageId).toBe(poison.messageId);
    expect(dead!.body.toString()).toBe('poison');
    expect(dead!.tag).toBe('bad');
    expect(dead!.properties.get('why')).toBe('test');
    expect(dead!.deliveryAttempt).toBe(1);
  });

  it('keeps a long handler’s message invisible (server-side renewal) and accepts the ack with the original handle', async () => {
    const t = await topic();
    const group = uniqueName('G');
    const seen: Seen[] = [];
    // The first consumer holds the message for 3.5 s: well past the 1.5 s auto-renew invisible time.
    await clients.push({ group, topic: t, seen, name: 'slow', listener: async () => (await sleep(3500), ConsumeResult.SUCCESS) });
    const p = await clients.producer(t);
    await p.send({ topic: t, body: Buffer.from('long job') });
    await waitFor(() => (seen.length >= 1 ? true : undefined), 10_000, 'the first delivery');
    await clients.push({ group, topic: t, seen, name: 'idle' });
    await sleep(5000);
    expect(seen.map((s) => [s.consumer, s.attempt])).toEqual([['slow', 1]]);
    // inFlight 0: the ack with the handle from before the renewals was accepted (a refused one
    // would leave the message in flight, renewed for as long as the client lives).
    expect(await groupStats(group)).toMatchObject({ inFlight: 0, lag: 0 });
  });

  it('releases the messages of a consumer that was killed mid-handler to the rest of the group', async () => {
    const t = await topic();
    const group = uniqueName('G');
    const child = fork(WORKER, [tb.endpoint, t, group], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const got: { got?: string; attempt?: number; ready?: boolean }[] = [];
      child.on('message', (m: { got?: string; attempt?: number; ready?: boolean }) => got.push(m));
      await waitFor(() => (got.some((m) => m.ready) ? true : undefined), 20_000, 'the child consumer');
      const p = await clients.producer(t);
      const sent = await p.send({ topic: t, body: Buffer.from('orphan') });
      await waitFor(() => (got.some((m) => m.got === sent.messageId) ? true : undefined), 10_000, 'the child to take the message');
      child.kill('SIGKILL');
      const killedAt = Date.now();
      const seen: Seen[] = [];
      await clients.push({ group, topic: t, seen, name: 'survivor' });
      await waitFor(() => (seen.length >= 1 ? true : undefined), 15_000, 'the released message');
      expect(seen[0]).toMatchObject({ messageId: sent.messageId, attempt: 2 });
      // Released after the idle timeout (1.5 s), not after hours of renewal.
      expect(seen[0]!.at - killedAt).toBeLessThan(8000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('releases a departing client’s in-flight push deliveries on NotifyClientTermination', async () => {
    const t = await topic();
    const group = uniqueName('G');
    const p = await clients.producer(t);
    const sent = await p.send({ topic: t, body: Buffer.from('left behind') });
    const raw = rawClient(tb.endpoint, uniqueName('raw-push'));
    try {
      const responses = await raw.stream('ReceiveMessage', {
        group: { name: group },
        message_queue: { topic: { name: t }, id: -1 },
        filter_expression: { type: 'TAG', expression: '*' },
        batch_size: 1,
        auto_renew: true,
        long_polling_timeout: { seconds: 1 },
      });
      expect(responses[0]).toMatchObject({ status: { code: 'OK' } });
      const simple = await clients.simple(group, t);
      expect(await simple.receive(1, 10_000)).toHaveLength(0); // invisible, renewed
      expect((await raw.unary('NotifyClientTermination', { group: { name: group } })).status.code).toBe('OK');
      const [again] = await drain(simple, 1, 5000);
      expect(again).toMatchObject({ messageId: sent.messageId, deliveryAttempt: 2 });
    } finally {
      raw.close();
    }
  });
});

describe('ReceiveMessage cancelled by the client', () => {
  it('gives back messages taken for a call that was cancelled before they could be written', async () => {
    const t = await topic();
    const group = uniqueName('G');
    const p = await clients.producer(t);
    const sent = await p.send({ topic: t, body: Buffer.from('unsent') });
    const written: unknown[] = [];
    let ended = false;
    // A call whose client is already gone: the handler takes the message, then finds it cancelled.
    const call = {
      request: {
        group: { name: group },
        message_queue: { topic: { name: t }, id: -1 },
        filter_expression: { type: 'TAG', expression: '*' },
        batch_size: 1,
        auto_renew: true,
        long_polling_timeout: { seconds: 1, nanos: 0 },
      },
      metadata: new grpc.Metadata(),
      cancelled: true,
      getPeer: () => 'test',
      getDeadline: () => Date.now() + 5000,
      on: () => undefined,
      write: (r: unknown) => written.push(r),
      end: () => (ended = true),
    };
    (receiveMessage(tb.broker.services) as unknown as (c: typeof call) => void)(call);
    const simple = await clients.simple(group, t);
    const [again] = await drain(simple, 1, 5000);
    expect(again).toMatchObject({ messageId: sent.messageId, deliveryAttempt: 2 });
    expect(written).toEqual([]);
    expect(ended).toBe(false);
  });
});

describe('groups', () => {
  it('two groups each get every message', async () => {
    const t = await topic();
    const [g1, g2] = [uniqueName('G1'), uniqueName('G2')];
    const seen1: Seen[] = [];
    const seen2: Seen[] = [];
    await Promise.all([clients.push({ group: g1, topic: t, seen: seen1 }), clients.push({ group: g2, topic: t, seen: seen2 })]);
    const p = await clients.producer(t);
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) sent.push((await p.send({ topic: t, body: Buffer.from(`m${i}`) })).messageId);
    await waitFor(() => (seen1.length >= 30 && seen2.length >= 30 ? true : undefined), 10_000, 'both groups');
    await sleep(500);
    expect(seen1.map((s) => s.messageId).sort()).toEqual([...sent].sort());
    expect(seen2.map((s) => s.messageId).sort()).toEqual([...sent].sort());
  });

  it('many consumers of one group share the work, each message handled once', async () => {
    const t = await topic();
    const group = uniqueName('G');
    const seen: Seen[] = [];
    const slow = async () => (await sleep(30), ConsumeResult.SUCCESS);
    await Promise.all(['c1', 'c2', 'c3', 'c4'].map((name) => clients.push({ group, topic: t, seen, name, listener: slow })));
    await sleep(1500); // all four have their assignment and are polling
    const p = await clients.producer(t);
    const sent = await Promise.all(Array.from({ length: 80 }, (_, i) => p.send({ topic: t, body: Buffer.from(`w${i}`) }).then((r) => r.messageId)));
    await waitFor(() => (seen.length >= 80 ? true : undefined), 15_000, '80 messages');
    await sleep(500);
    expect(seen.map((s) => s.messageId).sort()).toEqual([...sent].sort());
    const perConsumer = new Map<string, number>();
    for (const s of seen) perConsumer.set(s.consumer, (perConsumer.get(s.consumer) ?? 0) + 1);
    expect(perConsumer.size).toBeGreaterThanOrEqual(2);
  });
});
