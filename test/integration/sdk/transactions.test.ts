// SDK transactions against a real broker: the seed scenario (four messages a=0..3 resolved by
// commit, checker COMMIT, checker UNKNOWN-then-COMMIT, checker ROLLBACK), explicit commit/rollback,
// a throwing checker, and the Transaction handle's misuse errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IllegalArgumentException,
  IllegalStateException,
  TransactionResolution,
  type MessageView,
  type Producer,
  type SimpleConsumer,
  type TransactionChecker,
} from '../../../src/client/index.js';
import { startTestBroker, waitFor, type TestBroker } from '../../helpers/broker.js';
import { Closer, configFor, createTopic, provider, receiveAll, simpleConsumer } from './sdk-helpers.js';

let tb: TestBroker;
const closer = new Closer();

beforeAll(async () => {
  tb = await startTestBroker(); // transactionTimeoutMs 1000, check interval 1000
});
afterAll(async () => {
  await closer.closeAll();
  await tb.close();
});

async function txProducer(topic: string, checker?: TransactionChecker): Promise<Producer> {
  const builder = provider.newProducerBuilder().setClientConfiguration(configFor(tb)).setTopics(topic).setMaxAttempts(2);
  if (checker) builder.setTransactionChecker(checker);
  return closer.track(await builder.build());
}

/** Receives until `count` messages arrived or `timeoutMs` passed. */
async function receiveUntil(c: SimpleConsumer, count: number, timeoutMs: number): Promise<MessageView[]> {
  const got: MessageView[] = [];
  const end = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < end) got.push(...(await c.receive(count - got.length, 10_000)));
  return got;
}

const body = (a: number) => Buffer.from(`order a=${a}`);

describe('SDK transactions', () => {
  it('seed scenario: a=0 committed, a=1 checker COMMIT, a=2 UNKNOWN then COMMIT, a=3 ROLLBACK', async () => {
    const t = await createTopic(tb, 'TRANSACTION');
    const checks = new Map<string, number>();
    const checkedViews: MessageView[] = [];
    const checker: TransactionChecker = {
      async check(view) {
        const a = view.properties.get('a') ?? '?';
        const n = (checks.get(a) ?? 0) + 1;
        checks.set(a, n);
        checkedViews.push(view);
        switch (a) {
          case '1':
            return TransactionResolution.COMMIT;
          case '2':
            return n === 1 ? TransactionResolution.UNKNOWN : TransactionResolution.COMMIT;
          case '3':
            return TransactionResolution.ROLLBACK;
          default:
            return TransactionResolution.COMMIT; // a=0 must never get here
        }
      },
    };
    const p = await txProducer(t, checker);
    const consumer = await simpleConsumer(tb, closer, t);

    const txIds: string[] = [];
    for (let a = 0; a < 4; a++) {
      const tx = p.beginTransaction();
      const message = provider.newMessageBuilder().setTopic(t).setTag('order').setKeys(`order-${a}`).addProperty('a', String(a)).setBody(body(a)).build();
      const receipt = await p.send(message, tx);
      txIds.push(receipt.transactionId);
      if (a === 0) await tx.commit();
    }

    const got = await receiveUntil(consumer, 3, 15_000);
    for (const m of got) await consumer.ack(m);
    expect(got.map((m) => m.properties.get('a')).sort()).toEqual(['0', '1', '2']);
    expect(got.map((m) => m.body.toString()).sort()).toEqual([body(0), body(1), body(2)].map(String));

    // a=3 is rolled back by the checker and never delivered.
    const d3 = await waitFor(async () => tb.broker.store.getDecision(txIds[3]!), 10_000, 'decision on a=3');
    expect(d3).toMatchObject({ state: 'ROLLED_BACK', source: 'SERVER_CHECK' });
    expect(await consumer.receive(4, 10_000)).toHaveLength(0);

    expect(await tb.broker.store.getDecision(txIds[0]!)).toMatchObject({ state: 'COMMITTED', source: 'CLIENT' });
    expect(await tb.broker.store.getDecision(txIds[1]!)).toMatchObject({ state: 'COMMITTED', source: 'SERVER_CHECK' });
    expect(await tb.broker.store.getDecision(txIds[2]!)).toMatchObject({ state: 'COMMITTED', source: 'SERVER_CHECK' });

    expect(checks.has('0')).toBe(false); // committed in time: never checked
    expect(checks.get('1')).toBe(1);
    expect(checks.get('2')).toBeGreaterThanOrEqual(2); // UNKNOWN left it for a later check
    expect(checks.get('3')).toBe(1);
    // The checker sees the half message as sent.
    const v1 = checkedViews.find((v) => v.properties.get('a') === '1')!;
    expect(v1.topic).toBe(t);
    expect(v1.tag).toBe('order');
    expect(v1.keys).toEqual(['order-1']);
    expect(v1.body.toString()).toBe('order a=1');
  });

  it('hides the message until commit; rollback discards it', async () => {
    const t = await createTopic(tb, 'TRANSACTION');
    const p = await txProducer(t, { check: async () => TransactionResolution.UNKNOWN });
    const c = await simpleConsumer(tb, closer, t);

    const committed = p.beginTransaction();
    const receipt = await p.send(provider.newMessageBuilder().setTopic(t).setBody('commit me').build(), committed);
    const rolledBack = p.beginTransaction();
    await p.send(provider.newMessageBuilder().setTopic(t).setBody('roll me back').build(), rolledBack);
    expect(await c.receive(2, 10_000)).toHaveLength(0);

    await rolledBack.rollback();
    await committed.commit();
    const got = await receiveAll(c, 1);
    expect(got.map((m) => m.body.toString())).toEqual(['commit me']);
    expect(got[0]!.properties.get('__transactionId__')).toBe(receipt.transactionId);
    await c.ack(got[0]!);
    expect(await c.receive(2, 10_000)).toHaveLength(0); // the rolled-back one never shows up
  });

  it('a checker that throws leaves the transaction for a later check', async () => {
    const t = await createTopic(tb, 'TRANSACTION');
    let calls = 0;
    const p = await txProducer(t, {
      check: async () => {
        calls += 1;
        if (calls === 1) throw new Error('database unavailable');
        return TransactionResolution.COMMIT;
      },
    });
    const c = await simpleConsumer(tb, closer, t);
    const receipt = await p.send(provider.newMessageBuilder().setTopic(t).setBody('eventually').build(), p.beginTransaction());
    const [m] = await receiveUntil(c, 1, 10_000);
    expect(m!.messageId).toBe(receipt.messageId);
    expect(calls).toBe(2);
    await c.ack(m!);
  });

  it('rejects misuse of transactions with clear errors', async () => {
    const t = await createTopic(tb, 'TRANSACTION');
    const p = await txProducer(t, { check: async () => TransactionResolution.ROLLBACK });
    const msg = () => provider.newMessageBuilder().setTopic(t).setBody('tx').build();

    const tx = p.beginTransaction();
    await expect(tx.commit()).rejects.toThrow(IllegalStateException);
    await expect(tx.commit()).rejects.toThrow(/has not been sent/);
    await p.send(msg(), tx);
    await expect(p.send(msg(), tx)).rejects.toThrow(/exactly one message/);
    await tx.rollback();
    await expect(tx.commit()).rejects.toThrow(/already rolled back/);

    await expect(p.send(provider.newMessageBuilder().setTopic(t).setMessageGroup('g').setBody('x').build(), p.beginTransaction())).rejects.toThrow(IllegalArgumentException);

    const other = await txProducer(t, { check: async () => TransactionResolution.ROLLBACK });
    await expect(p.send(msg(), other.beginTransaction())).rejects.toThrow(/this producer/);

    const plain = await txProducer(t);
    expect(() => plain.beginTransaction()).toThrow(/TransactionChecker/);

    // A transaction cannot end once its producer is closed (the broker's check decides it instead).
    const pending = other.beginTransaction();
    await other.send(msg(), pending);
    await other.close();
    await expect(pending.commit()).rejects.toThrow(/commit\(\) called on a closed producer/);
    expect(() => other.beginTransaction()).toThrow(IllegalStateException);
  });
});
