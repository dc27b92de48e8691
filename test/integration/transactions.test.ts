// Transactions end to end through the official client and raw RPCs: the seed scenario,
// idempotence and conflicts, races, check policy (ROLLBACK / KEEP), checks that wait for a producer.
import { Producer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigKey } from '../../src/config.js';
import { quietClientLogger, startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import { protoMessage, rawClient, type RawClient } from '../helpers/raw-client.js';

let tb: TestBroker | undefined;
let raw: RawClient | undefined;
const clients: { shutdown(): Promise<void> }[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.shutdown().catch(() => undefined);
  raw?.close();
  raw = undefined;
  await tb?.close();
  tb = undefined;
});

async function setup(overrides: Partial<Record<ConfigKey, unknown>> = {}): Promise<{ tb: TestBroker; topic: string; raw: RawClient }> {
  tb = await startTestBroker(overrides);
  const topic = uniqueName('Tx');
  await tb.broker.services.topics.create(topic, 'TRANSACTION');
  raw = rawClient(tb.endpoint);
  return { tb, topic, raw };
}

async function txProducer(t: TestBroker, topic: string, check: (m: MessageView) => Promise<TransactionResolution>): Promise<Producer> {
  const p = new Producer({ endpoints: t.endpoint, namespace: '', topic, checker: { check }, logger: quietClientLogger });
  await p.startup();
  clients.push(p);
  return p;
}

async function simpleConsumer(t: TestBroker, topic: string): Promise<SimpleConsumer> {
  const c = new SimpleConsumer({
    endpoints: t.endpoint,
    namespace: '',
    consumerGroup: uniqueName('G'),
    subscriptions: new Map([[topic, '*']]),
    awaitDuration: 1000,
    logger: quietClientLogger,
  });
  await c.startup();
  clients.push(c);
  return c;
}

/** Receives and acks until `until` says stop or the time is up; returns bodies/properties seen. */
async function drain(c: SimpleConsumer, until: (seen: MessageView[]) => boolean, timeoutMs = 15_000): Promise<MessageView[]> {
  const seen: MessageView[] = [];
  const end = Date.now() + timeoutMs;
  while (!until(seen) && Date.now() < end) {
    for (const m of await c.receive(16, 10_000)) {
      seen.push(m);
      await c.ack(m);
    }
  }
  return seen;
}

async function sendHalf(r: RawClient, topic: string, body = 'half'): Promise<string> {
  const res = await r.unary('SendMessage', { messages: [protoMessage(topic, body, { type: 'TRANSACTION' })] });
  expect(res.status.code).toBe('OK');
  return (res.entries as { transaction_id: string }[])[0]!.transaction_id;
}

function endTx(r: RawClient, topic: string, id: string, resolution: 'COMMIT' | 'ROLLBACK', source = 'SOURCE_CLIENT', clientId?: string) {
  return r.unary('EndTransaction', { topic: { name: topic }, transaction_id: id, resolution, source }, clientId);
}

describe('transactions: the seed scenario (official client with a checker)', () => {
  it('delivers a=0,1,2 and never a=3; never checks a=0', async () => {
    const { tb, topic } = await setup();
    const asked = new Map<string, number>();
    const p = await txProducer(tb, topic, async (m) => {
      const a = m.properties.get('a')!;
      const n = (asked.get(a) ?? 0) + 1;
      asked.set(a, n);
      if (a === '1') return TransactionResolution.COMMIT;
      if (a === '2') return n === 1 ? TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED : TransactionResolution.COMMIT;
      if (a === '3') return TransactionResolution.ROLLBACK;
      return TransactionResolution.COMMIT;
    });
    const consumer = await simpleConsumer(tb, topic);
    for (let a = 0; a < 4; a++) {
      const tx = p.beginTransaction();
      await p.send({ topic, body: Buffer.from(`a=${a}`), properties: new Map([['a', String(a)]]) }, tx);
      if (a === 0) await tx.commit();
    }
    const seen = await drain(consumer, (s) => s.length >= 3);
    expect(seen.map((m) => m.properties.get('a')).sort()).toEqual(['0', '1', '2']);
    // a=3 is rolled back by the checker; nothing stays pending.
    await waitFor(async () => ((await tb.broker.store.listTransactions({ topic })).length === 0 ? true : undefined), 10_000, 'no pending transactions');
    expect(asked.has('0')).toBe(false);
    expect(asked.get('1')).toBe(1);
    expect(asked.get('2')).toBeGreaterThanOrEqual(2);
    expect(asked.get('3')).toBe(1);
    expect(await consumer.receive(4, 10_000)).toHaveLength(0);
    const counters = await tb.broker.services.transactions.counters();
    expect(counters.committed).toBe(3);
    expect(counters.rolledBack).toBe(1);
    expect(counters.checksSent).toBeGreaterThanOrEqual(4);
  });
});

describe('transactions: idempotence and conflicts', () => {
  it('accepts a repeated identical decision and rejects a conflicting one', async () => {
    const { topic, raw } = await setup();
    const id = await sendHalf(raw, topic);
    expect((await endTx(raw, topic, id, 'COMMIT')).status.code).toBe('OK');
    expect((await endTx(raw, topic, id, 'COMMIT', 'SOURCE_SERVER_CHECK')).status.code).toBe('OK');
    const conflict = await endTx(raw, topic, id, 'ROLLBACK');
    expect(conflict.status.code).toBe('INVALID_TRANSACTION_ID');
    expect(conflict.status.message).toContain('already committed');
    expect(await tb!.broker.store.read(topic, 0, 0, 10)).toHaveLength(1);
  });

  it('rejects commit after rollback and unknown or mismatched ids, with clear messages', async () => {
    const { topic, raw } = await setup();
    const id = await sendHalf(raw, topic);
    expect((await endTx(raw, topic, id, 'ROLLBACK')).status.code).toBe('OK');
    const late = await endTx(raw, topic, id, 'COMMIT');
    expect(late.status.code).toBe('INVALID_TRANSACTION_ID');
    expect(late.status.message).toContain('rolled back');
    const unknown = await endTx(raw, topic, 'NO-SUCH-TRANSACTION', 'COMMIT');
    expect(unknown.status).toMatchObject({ code: 'INVALID_TRANSACTION_ID' });
    expect(unknown.status.message).toContain('unknown');
    const empty = await endTx(raw, topic, '', 'COMMIT');
    expect(empty.status.code).toBe('INVALID_TRANSACTION_ID');
    const other = uniqueName('Other');
    await tb!.broker.services.topics.create(other, 'TRANSACTION');
    const id2 = await sendHalf(raw, topic);
    const mismatch = await endTx(raw, other, id2, 'COMMIT');
    expect(mismatch.status.code).toBe('INVALID_TRANSACTION_ID');
    expect(mismatch.status.message).toContain(topic);
    expect(await tb!.broker.store.read(topic, 0, 0, 10)).toHaveLength(0);
  });

  it('lets any connection decide, and a commit racing a rollback has exactly one winner', async () => {
    const { topic, raw } = await setup();
    for (let i = 0; i < 20; i++) {
      const id = await sendHalf(raw, topic, `race-${i}`);
      const [a, b] = await Promise.all([endTx(raw, topic, id, 'COMMIT', 'SOURCE_CLIENT', 'client-A'), endTx(raw, topic, id, 'ROLLBACK', 'SOURCE_SERVER_CHECK', 'client-B')]);
      const oks = [a, b].filter((r) => r.status.code === 'OK');
      expect(oks).toHaveLength(1);
      const decision = await tb!.broker.store.getDecision(id);
      expect(decision!.state).toBe(a.status.code === 'OK' ? 'COMMITTED' : 'ROLLED_BACK');
    }
    const committed = (await tb!.broker.store.read(topic, 0, 0, 100)).length;
    const counters = await tb!.broker.services.transactions.counters();
    expect(counters.committed).toBe(committed);
    expect(counters.committed + counters.rolledBack).toBe(20);
  });

  it('refuses a transactional message that also carries a delivery timestamp, and keeps nothing', async () => {
    const { topic, raw } = await setup();
    const m = protoMessage(topic, 'delayed', { type: 'TRANSACTION' });
    (m.system_properties as Record<string, unknown>).delivery_timestamp = { seconds: String(Math.floor(Date.now() / 1000) + 60), nanos: 0 };
    const res = await raw.unary('SendMessage', { messages: [m] });
    expect(res.status.code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    expect(res.status.message).toContain('only DELAY messages carry a delivery timestamp; this one is TRANSACTION');
    expect(await tb!.broker.store.listTransactions({})).toHaveLength(0);
  });

  it('times the first check from the broker receive time, whatever the producer clock says', async () => {
    const { tb, topic, raw } = await setup();
    const skewed = protoMessage(topic, 'skewed clock', { type: 'TRANSACTION' });
    // A producer whose clock is an hour behind (or ahead): its born timestamp plays no part.
    const sys = skewed.system_properties as Record<string, unknown>;
    const results: number[] = [];
    for (const offsetMs of [-3_600_000, 3_600_000]) {
      sys.message_id = `01SKEW${Date.now().toString(16).toUpperCase()}${offsetMs > 0 ? 'A' : 'B'}`;
      sys.born_timestamp = { seconds: String(Math.floor((Date.now() + offsetMs) / 1000)), nanos: 0 };
      const before = Date.now();
      const res = await raw.unary('SendMessage', { messages: [skewed] });
      expect(res.status.code).toBe('OK');
      const half = await tb.broker.store.getHalf((res.entries as { transaction_id: string }[])[0]!.transaction_id);
      expect(half!.receivedAtMs).toBeGreaterThanOrEqual(before);
      expect(half!.nextCheckAtMs - half!.receivedAtMs).toBe(1000); // transactionTimeoutMs in these tests
      results.push(half!.message.bornTimestampMs - half!.receivedAtMs);
    }
    expect(results[0]).toBeLessThan(-3_000_000);
    expect(results[1]).toBeGreaterThan(3_000_000);
  });

  it('rejects a request with two transactional messages and keeps nothing', async () => {
    const { topic, raw } = await setup();
    const res = await raw.unary('SendMessage', {
      messages: [protoMessage(topic, 'one', { type: 'TRANSACTION' }), protoMessage(topic, 'two', { type: 'TRANSACTION' })],
    });
    expect(res.status.code).toBe('BAD_REQUEST');
    expect(res.status.message).toContain('exactly one message');
    expect(await tb!.broker.store.listTransactions({})).toHaveLength(0);
  });
});

describe('transactions: backpressure', () => {
  it('refuses half messages with TOO_MANY_REQUESTS at transactionMaxPending, and admits again once one is decided', async () => {
    const { tb, topic, raw } = await setup({ transactionMaxPending: 2 });
    const first = await sendHalf(raw, topic, 'one');
    await sendHalf(raw, topic, 'two');
    const refused = await raw.unary('SendMessage', { messages: [protoMessage(topic, 'three', { type: 'TRANSACTION' })] });
    expect(refused.status.code).toBe('TOO_MANY_REQUESTS');
    expect(refused.status.message).toContain('transactionMaxPending');
    expect(await tb.broker.store.listTransactions({ topic })).toHaveLength(2);
    expect((await endTx(raw, topic, first, 'ROLLBACK')).status.code).toBe('OK');
    await sendHalf(raw, topic, 'three');
    expect((await tb.broker.store.listTransactions({ topic })).map((h) => h.message.body.toString()).sort()).toEqual(['three', 'two']);
  });
});

describe('transactions: check policy and producer availability', () => {
  it('rolls back after transactionCheckMax unanswered checks (policy ROLLBACK), recorded as POLICY', async () => {
    const { tb, topic } = await setup({ transactionCheckMax: 2 });
    let checks = 0;
    const p = await txProducer(tb, topic, async () => {
      checks += 1;
      return TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
    });
    const tx = p.beginTransaction();
    const receipt = await p.send({ topic, body: Buffer.from('undecided') }, tx);
    const decision = await waitFor(() => tb.broker.store.getDecision(receipt.transactionId), 15_000, 'policy decision');
    expect(decision).toMatchObject({ state: 'ROLLED_BACK', source: 'POLICY', checkCount: 2 });
    expect(checks).toBe(2);
    expect(await tb.broker.store.read(topic, 0, 0, 10)).toHaveLength(0);
  });

  it('keeps an exhausted transaction for an operator under policy KEEP, who can commit it', async () => {
    const { tb, topic, raw } = await setup({ transactionCheckMax: 1, transactionCheckPolicy: 'KEEP' });
    const p = await txProducer(tb, topic, async () => TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED);
    const tx = p.beginTransaction();
    const receipt = await p.send({ topic, body: Buffer.from('kept') }, tx);
    const abandoned = await waitFor(
      async () => {
        const list = await raw.admin('ListTransactions', { topic, state: 'ABANDONED', limit: 10 });
        return (list.transactions as unknown[]).length > 0 ? (list.transactions as { transaction_id: string; check_count: number }[]) : undefined;
      },
      15_000,
      'abandoned transaction',
    );
    expect(abandoned[0]).toMatchObject({ transaction_id: receipt.transactionId, check_count: 1 });
    expect((await tb.broker.services.transactions.counters()).abandoned).toBe(1);
    const resolved = await raw.admin('ResolveTransaction', { transaction_id: receipt.transactionId, resolution: 'COMMIT', reason: 'checked the ledger' });
    expect(resolved.status.code).toBe('OK');
    expect(resolved.transaction).toMatchObject({ state: 'COMMITTED', decided_by: 'ADMIN', reason: 'checked the ledger' });
    const c = await simpleConsumer(tb, topic);
    const seen = await drain(c, (s) => s.length >= 1);
    expect(seen.map((m) => m.body.toString())).toEqual(['kept']);
  });

  it('lets a topic keep its exhausted transactions (KEEP) under a ROLLBACK broker, found by key and checked again on request', async () => {
    const { tb, raw } = await setup({ transactionCheckMax: 1 });
    const topic = uniqueName('TxKeep');
    const created = await raw.admin('CreateTopic', { name: topic, message_type: 'TRANSACTION', check_policy: 'KEEP' });
    expect(created.topic).toMatchObject({ name: topic, check_policy: 'KEEP' });
    let answer = TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
    const p = await txProducer(tb, topic, async () => answer);
    const receipt = await p.send({ topic, keys: ['order-7'], body: Buffer.from('kept by topic policy') }, p.beginTransaction());
    const abandoned = await waitFor(
      async () => {
        const list = await raw.admin('ListTransactions', { state: 'ABANDONED', key: 'order-7', limit: 10 });
        return (list.transactions as unknown[]).length > 0 ? (list.transactions as { transaction_id: string; reason: string }[]) : undefined;
      },
      15_000,
      'abandoned transaction',
    );
    expect(abandoned.map((t) => t.transaction_id)).toEqual([receipt.transactionId]);
    expect((await raw.admin('ListTransactions', { key: 'order-8', limit: 10 })).transactions).toEqual([]);

    // The producer side is fixed: an operator has the transaction checked again.
    answer = TransactionResolution.COMMIT;
    const rearmed = await raw.admin('RecheckTransaction', { transaction_id: receipt.transactionId });
    expect(rearmed.status.code).toBe('OK');
    expect(rearmed.transaction).toMatchObject({ state: 'PENDING', check_count: 0 });
    const decision = await waitFor(() => tb.broker.store.getDecision(receipt.transactionId), 10_000, 'decision');
    expect(decision).toMatchObject({ state: 'COMMITTED', source: 'SERVER_CHECK' });
    // The audit trail by key: decided now, with both checks (before abandoning, after the recheck).
    const byKey = await raw.admin('ListTransactions', { key: 'order-7', limit: 10 });
    const [trail] = byKey.transactions as { state: string; decided_by: string; keys: string[]; checks: { client_id: string }[] }[];
    expect(trail).toMatchObject({ state: 'COMMITTED', decided_by: 'SERVER_CHECK', keys: ['order-7'] });
    expect(trail!.checks).toHaveLength(2);
    expect((await raw.admin('ListTransactions', { key: 'order-7', state: 'ROLLED_BACK', limit: 10 })).transactions).toEqual([]);
    const again = await raw.admin('RecheckTransaction', { transaction_id: receipt.transactionId });
    expect(again.status.code).toBe('INVALID_TRANSACTION_ID');
    expect(again.status.message).toContain('already committed');
    const refused = await raw.admin('CreateTopic', { name: uniqueName('NoPolicy'), message_type: 'NORMAL', check_policy: 'KEEP' });
    expect(refused.status.message).toContain('a check policy applies to TRANSACTION topics only');
  });

  it('does not use up checks while no producer is online, then checks the first one that connects', async () => {
    const { tb, topic, raw } = await setup({ transactionCheckMax: 1 });
    const id = await sendHalf(raw, topic, 'waiting'); // raw client: no Telemetry stream, so not a live producer
    await new Promise((r) => setTimeout(r, 3000)); // three check intervals pass with nobody to ask
    const half = await tb.broker.store.getHalf(id);
    expect(half).toMatchObject({ state: 'PENDING', checkCount: 0 });
    expect(await tb.broker.services.transactions.waitingForProducer()).toEqual([{ producerGroup: topic, pending: 1 }]);
    const asked: string[] = [];
    await txProducer(tb, topic, async (m) => {
      asked.push(m.messageId);
      return TransactionResolution.COMMIT;
    });
    const decision = await waitFor(() => tb.broker.store.getDecision(id), 10_000, 'decision');
    expect(decision).toMatchObject({ state: 'COMMITTED', source: 'SERVER_CHECK' });
    expect(asked).toHaveLength(1);
    expect(await tb.broker.services.transactions.waitingForProducer()).toEqual([]);
  });
});
