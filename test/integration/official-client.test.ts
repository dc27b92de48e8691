// Conformance: the unmodified official rocketmq-client-nodejs against a real Halfmoon broker —
// producer (normal, FIFO, delay, transactions), SimpleConsumer (receive, ack,
// changeInvisibleDuration, tag filters, long polling), restarts.
import { Producer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietClientLogger, startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';

let tb: TestBroker;
const clients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  tb = await startTestBroker({ minInvisibleDurationMs: 500 });
});
afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await tb.close();
});

async function topic(type: 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION'): Promise<string> {
  const name = uniqueName(`T${type}`);
  await tb.broker.services.topics.create(name, type);
  return name;
}

async function producer(options: { topic?: string; checker?: { check(m: MessageView): Promise<TransactionResolution> } } = {}): Promise<Producer> {
  const p = new Producer({ endpoints: tb.endpoint, namespace: '', logger: quietClientLogger, ...options });
  await p.startup();
  clients.push(p);
  return p;
}

async function consumer(topicName: string, filter = '*', group = uniqueName('G')): Promise<SimpleConsumer> {
  const c = new SimpleConsumer({
    endpoints: tb.endpoint,
    namespace: '',
    consumerGroup: group,
    subscriptions: new Map([[topicName, filter]]),
    awaitDuration: 1000,
    logger: quietClientLogger,
  });
  await c.startup();
  clients.push(c);
  return c;
}

/** Receives until `count` messages arrived (or the polls come back empty twice). */
async function receiveAll(c: SimpleConsumer, count: number, invisibleMs = 10_000): Promise<MessageView[]> {
  const got: MessageView[] = [];
  let empty = 0;
  while (got.length < count && empty < 3) {
    const batch = await c.receive(Math.min(32, count - got.length), invisibleMs);
    if (batch.length === 0) empty += 1;
    got.push(...batch);
  }
  return got;
}

describe('official client: producer and simple consumer', () => {
  it('sends a NORMAL message with a topic-less producer and receives it with properties intact', async () => {
    const t = await topic('NORMAL');
    const p = await producer();
    const receipt = await p.send({
      topic: t,
      tag: 'TagA',
      keys: ['k1', 'k2'],
      body: Buffer.from('hello halfmoon'),
      properties: new Map([['color', 'blue']]),
    });
    expect(receipt.offset).toBeGreaterThanOrEqual(0);
    expect(receipt.messageId).toBe(receipt.transactionId);

    const c = await consumer(t);
    const [m, ...more] = await receiveAll(c, 1);
    expect(more).toHaveLength(0);
    expect(m!.messageId).toBe(receipt.messageId);
    expect(m!.body.toString()).toBe('hello halfmoon');
    expect(m!.tag).toBe('TagA');
    expect(m!.keys).toEqual(['k1', 'k2']);
    expect(m!.properties.get('color')).toBe('blue');
    expect(m!.corrupted).not.toBe(true); // the client verified our MD5 body digest
    expect(m!.deliveryAttempt).toBe(1);
    await c.ack(m!);
    expect(await c.receive(1, 10_000)).toHaveLength(0);
  });

  it('starts a producer of several topics and a consumer of several subscriptions without waiting for a settings sync', async () => {
    // The client fetches the routes one after another and only then waits for a settings
    // command; the broker's settings echo after each QueryRoute is what it gets. Without the
    // echo, startup() would wait for the client's 5-minute settings sync (past this timeout).
    const names = [await topic('NORMAL'), await topic('NORMAL'), await topic('NORMAL')];
    const p = new Producer({ endpoints: tb.endpoint, namespace: '', topics: names, logger: quietClientLogger });
    await p.startup();
    clients.push(p);
    for (const name of names) await p.send({ topic: name, body: Buffer.from(name) });
    const c = new SimpleConsumer({
      endpoints: tb.endpoint,
      namespace: '',
      consumerGroup: uniqueName('G'),
      subscriptions: new Map(names.map((n) => [n, '*'])),
      awaitDuration: 1000,
      logger: quietClientLogger,
    });
    await c.startup();
    clients.push(c);
    const got = await receiveAll(c, 3);
    expect(got.map((m) => m.body.toString()).sort()).toEqual([...names].sort());
  }, 20_000);

  it('filters by tag: *, TagA, TagA||TagB', async () => {
    const t = await topic('NORMAL');
    const p = await producer({ topic: t });
    for (const tag of ['TagA', 'TagB', 'TagC']) await p.send({ topic: t, tag, body: Buffer.from(tag) });
    await p.send({ topic: t, body: Buffer.from('untagged') });

    const tagsOf = async (filter: string, expected: number): Promise<string[]> => {
      const c = await consumer(t, filter);
      const got = await receiveAll(c, expected);
      for (const m of got) await c.ack(m);
      expect(await c.receive(4, 10_000)).toHaveLength(0);
      return got.map((m) => m.body.toString()).sort();
    };
    expect(await tagsOf('*', 4)).toEqual(['TagA', 'TagB', 'TagC', 'untagged']);
    expect(await tagsOf('TagA', 1)).toEqual(['TagA']);
    expect(await tagsOf('TagA||TagB', 2)).toEqual(['TagA', 'TagB']);
  });

  it('sends FIFO messages in order and exposes the message group', async () => {
    const t = await topic('FIFO');
    const p = await producer({ topic: t });
    for (let i = 0; i < 5; i++) await p.send({ topic: t, messageGroup: 'order-42', body: Buffer.from(`step-${i}`) });
    const c = await consumer(t);
    const got = await receiveAll(c, 5);
    expect(got.map((m) => m.body.toString())).toEqual(['step-0', 'step-1', 'step-2', 'step-3', 'step-4']);
    expect(got[0]!.messageGroup).toBe('order-42');
    expect(got[0]!.properties.get('__SHARDINGKEY')).toBe('order-42');
    for (const m of got) await c.ack(m);
  });

  it('delivers a DELAY message no earlier than its delivery time', async () => {
    const t = await topic('DELAY');
    const p = await producer({ topic: t });
    const c = await consumer(t);
    const sentAt = Date.now();
    await p.send({ topic: t, delay: 1500, body: Buffer.from('later') });
    const got = await receiveAll(c, 1);
    const m = got[0]!;
    expect(m.body.toString()).toBe('later');
    expect(m.transportDeliveryTimestamp!.getTime()).toBeGreaterThanOrEqual(sentAt + 1500);
    expect(m.deliveryTimestamp!.getTime()).toBeGreaterThanOrEqual(sentAt + 1500);
  });

  it('rejects a message whose type the topic does not accept', async () => {
    const t = await topic('FIFO');
    const p = await producer({ topic: t });
    await expect(p.send({ topic: t, body: Buffer.from('normal') })).rejects.toThrow(/message type/i);
  });

  it('answers TOPIC_NOT_FOUND for an unknown topic', async () => {
    const p = new Producer({ endpoints: tb.endpoint, namespace: '', logger: quietClientLogger, topic: 'NoSuchTopic' });
    const err = await p.startup().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const chain: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e.message);
    expect(chain.join(' | ')).toContain('topic NoSuchTopic does not exist: create it with "halfmoon topic create NoSuchTopic');
    expect(chain.join(' | ')).not.toContain('name server');
  }, 20_000);

  it('redelivers an unacked message after its invisible duration with deliveryAttempt + 1', async () => {
    const t = await topic('NORMAL');
    const p = await producer({ topic: t });
    await p.send({ topic: t, body: Buffer.from('again') });
    const c = await consumer(t);
    const [first] = await receiveAll(c, 1, 600);
    expect(first!.deliveryAttempt).toBe(1);
    const [second] = await receiveAll(c, 1, 10_000);
    expect(second!.messageId).toBe(first!.messageId);
    expect(second!.deliveryAttempt).toBe(2);
    await expect(c.ack(first!)).rejects.toThrow(/receipt handle/i);
    await c.ack(second!);
  });

  it('changeInvisibleDuration returns a handle that acks', async () => {
    const t = await topic('NORMAL');
    const p = await producer({ topic: t });
    await p.send({ topic: t, body: Buffer.from('extend') });
    const c = await consumer(t);
    const [m] = await receiveAll(c, 1, 600);
    await c.changeInvisibleDuration(m!, 30_000);
    // Past the original 600 ms: still invisible because of the change.
    await new Promise((r) => setTimeout(r, 900));
    expect(await c.receive(1, 10_000)).toHaveLength(0);
    await c.ack(m!);
  });

  it('wakes a long poll as soon as a message arrives', async () => {
    const t = await topic('NORMAL');
    const p = await producer({ topic: t });
    const c = await consumer(t);
    const started = Date.now();
    const pending = c.receive(1, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    await p.send({ topic: t, body: Buffer.from('wake') });
    const got = await pending;
    expect(got.map((m) => m.body.toString())).toEqual(['wake']);
    expect(Date.now() - started).toBeLessThan(2500);
  });
});

describe('official client: transactions', () => {
  it('hides a half message until commit, then delivers it with __transactionId__', async () => {
    const t = await topic('TRANSACTION');
    // The checker says "unknown": only the explicit commit below may publish the message.
    const p = await producer({ topic: t, checker: { check: async () => TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED } });
    const c = await consumer(t);
    const tx = p.beginTransaction();
    const receipt = await p.send({ topic: t, body: Buffer.from('tx-body') }, tx);
    expect(receipt.transactionId).toBeTruthy();
    expect(await c.receive(1, 10_000)).toHaveLength(0);
    await tx.commit();
    const [m] = await receiveAll(c, 1);
    expect(m!.body.toString()).toBe('tx-body');
    expect(m!.properties.get('__transactionId__')).toBe(receipt.transactionId);
    await c.ack(m!);
  });

  it('discards a rolled-back transaction', async () => {
    const t = await topic('TRANSACTION');
    const p = await producer({ topic: t, checker: { check: async () => TransactionResolution.COMMIT } });
    const tx = p.beginTransaction();
    await p.send({ topic: t, body: Buffer.from('never') }, tx);
    await tx.rollback();
    const c = await consumer(t);
    expect(await c.receive(1, 10_000)).toHaveLength(0);
    expect(await tb.broker.store.read(t, 0, 0, 10)).toHaveLength(0);
  });

  it('asks the checker about an orphaned transaction and applies its answer', async () => {
    const t = await topic('TRANSACTION');
    const checked: string[] = [];
    const p = await producer({
      topic: t,
      checker: {
        check: async (m) => {
          checked.push(m.messageId);
          return TransactionResolution.COMMIT;
        },
      },
    });
    const c = await consumer(t);
    const tx = p.beginTransaction();
    const receipt = await p.send({ topic: t, body: Buffer.from('orphan') }, tx);
    // No commit: the broker checks after transactionTimeoutMs (1 s in tests).
    const [m] = await receiveAll(c, 1);
    expect(m!.messageId).toBe(receipt.messageId);
    expect(checked).toContain(receipt.messageId);
    const decision = await tb.broker.store.getDecision(receipt.transactionId);
    expect(decision).toMatchObject({ state: 'COMMITTED', source: 'SERVER_CHECK' });
    await c.ack(m!);
  });
});

describe('official client: durability', () => {
  it('keeps topics, messages and pending transactions across a restart', async () => {
    const t = await topic('NORMAL');
    const p = new Producer({ endpoints: tb.endpoint, namespace: '', logger: quietClientLogger, topic: t });
    await p.startup();
    await p.send({ topic: t, body: Buffer.from('survivor') });
    await p.shutdown();
    tb = await tb.restart();
    const c = await consumer(t);
    const [m] = await receiveAll(c, 1);
    expect(m!.body.toString()).toBe('survivor');
    await c.ack(m!);
  });
});
