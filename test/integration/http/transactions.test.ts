// Transactional messages over the MQ HTTP gateway with the unmodified @aliyunmq/mq-http-sdk: the
// seed flow of the aliyun sample trans-producer.js, receipt-handle lifetimes, the age policy, and
// one transaction engine shared with gRPC (HTTP halves resolved over gRPC and vice versa).
// TransCheckImmunityTime 10 lasts 1 s here (httpTransCheckSecondMs 100); checks every 500 ms.
import sdk from '@aliyunmq/mq-http-sdk';
import { Producer } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { quietClientLogger, uniqueName, waitFor } from '../../helpers/broker.js';
import { protoMessage, rawClient, type RawClient } from '../../helpers/raw-client.js';
import { consumeAll, mqError, props, sleep, startHttpBroker, type HttpBroker } from './helpers.js';

let hb: HttpBroker;
let client: sdk.MQClient;
let grpc: RawClient;
const grpcClients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  hb = await startHttpBroker();
  client = hb.client();
  grpc = rawClient(hb.tb.endpoint);
});
afterAll(async () => {
  for (const c of grpcClients) await c.shutdown().catch(() => undefined);
  grpc.close();
  await hb.tb.close();
});

function halfProps(a: number): sdk.MessageProperties {
  return props({ a }, (p) => {
    p.messageKey('MessageKey');
    p.transCheckImmunityTime(10);
  });
}

/** One consumeHalfMessage; [] for MessageNotExist. */
async function popHalf(p: sdk.MQTransProducer, wait = 3): Promise<sdk.ConsumedMessage[]> {
  try {
    const res = await p.consumeHalfMessage(3, wait);
    expect(res.code).toBe(200);
    return res.body;
  } catch (err) {
    if ((err as sdk.MQError).Code === 'MessageNotExist') return [];
    throw err;
  }
}

describe('MQ HTTP transactions: the seed flow (aliyun sample trans-producer.js)', () => {
  it('commits a=0 by publish handle, a=1 on its first check, a=2 on a later check, rolls back a=3; consumers get a=0,1,2', async () => {
    const topic = await hb.topic('TRANSACTION', 'MQ_INST_123_abc');
    const producer = client.getTransProducer('MQ_INST_123_abc', topic, uniqueName('GID'));
    const outcomes: string[] = [];
    for (let a = 0; a < 4; a++) {
      const res = await producer.publishMessage('hello mq.', '', halfProps(a));
      expect(res.code).toBe(201);
      expect(res.body.ReceiptHandle).toBeTruthy();
      if (a === 0) {
        const committed = await producer.commit(res.body.ReceiptHandle!);
        expect(committed.code).toBe(204);
        outcomes.push('commit a=0 at publish');
      }
    }

    const offers = new Map<string, number[]>();
    let resolved = 0;
    for (let poll = 0; poll < 15 && resolved < 3; poll++) {
      for (const m of await popHalf(producer)) {
        const a = m.Properties.a!;
        offers.set(a, [...(offers.get(a) ?? []), Number(m.ConsumedTimes)]);
        expect(m.MessageKey).toBe('MessageKey');
        expect(m.MessageBody).toBe('hello mq.');
        expect(Number(m.NextConsumeTime)).toBeGreaterThan(Number(m.FirstConsumeTime));
        let op: sdk.Response<sdk.HandleFailure[] | undefined> | undefined;
        if (a === '1' || (a === '2' && Number(m.ConsumedTimes) > 1)) {
          op = await producer.commit(m.ReceiptHandle);
          outcomes.push(`commit a=${a} at check ${m.ConsumedTimes}`);
        } else if (a === '3') {
          op = await producer.rollback(m.ReceiptHandle);
          outcomes.push(`rollback a=3 at check ${m.ConsumedTimes}`);
        }
        if (op) {
          expect(op.code).toBe(204);
          resolved++;
        }
      }
    }
    expect(outcomes.sort()).toEqual(['commit a=0 at publish', 'commit a=1 at check 1', 'commit a=2 at check 2', 'rollback a=3 at check 1']);
    expect(offers.has('0')).toBe(false);
    expect(offers.get('2')).toEqual([1, 2]);

    const consumer = client.getConsumer('MQ_INST_123_abc', topic, uniqueName('GID'));
    const got = await consumeAll(consumer, 4, { polls: 2 });
    expect(got.map((m) => m.Properties.a).sort()).toEqual(['0', '1', '2']);
    expect(await hb.tb.broker.services.transactions.list({ topic })).toEqual([]);
  });
});

describe('MQ HTTP transactions: receipt handles', () => {
  it('hides a half message until it is committed', async () => {
    const topic = await hb.topic('TRANSACTION');
    const producer = client.getTransProducer('', topic, uniqueName('GID'));
    const consumer = client.getConsumer('', topic, uniqueName('GID'));
    const { body } = await producer.publishMessage('hidden', 'TagX', halfProps(7));
    expect((await mqError(consumer.consumeMessage(1))).Code).toBe('MessageNotExist'); // short poll: immunity is 1 s
    expect((await producer.commit(body.ReceiptHandle!)).code).toBe(204);
    const [m] = (await consumer.consumeMessage(1, 3)).body;
    expect(m!.MessageId).toBe(body.MessageId);
    expect(m!.MessageTag).toBe('TagX');
    expect(m!.Properties.a).toBe('7');
  });

  it('spends every handle once the transaction is decided', async () => {
    const topic = await hb.topic('TRANSACTION');
    const producer = client.getTransProducer('', topic, uniqueName('GID'));
    const { body } = await producer.publishMessage('no', '', halfProps(1));
    expect((await producer.rollback(body.ReceiptHandle!)).code).toBe(204);
    for (const again of [() => producer.commit(body.ReceiptHandle!), () => producer.rollback(body.ReceiptHandle!)]) {
      const res = await again();
      expect(res.code).toBe(404);
      expect(res.body![0]!.ErrorCode).toBe('MessageNotExist');
      expect(res.body![0]!.ReceiptHandle).toBe(body.ReceiptHandle);
    }
    expect((await mqError(client.getConsumer('', topic, uniqueName('GID')).consumeMessage(1, 1))).Code).toBe('MessageNotExist');
  });

  it('expires the publish handle with the immunity time; the check handle then decides', async () => {
    const topic = await hb.topic('TRANSACTION');
    const producer = client.getTransProducer('', topic, uniqueName('GID'));
    const { body } = await producer.publishMessage('late', '', halfProps(2));
    expect(await popHalf(producer, 0)).toEqual([]); // not offered during the immunity time
    await sleep(1100);
    const late = await producer.commit(body.ReceiptHandle!);
    expect(late.code).toBe(404);
    expect(late.body![0]!.ErrorCode).toBe('MessageNotExist');
    const [offer] = await popHalf(producer);
    expect(offer!.MessageId).toBe(body.MessageId);
    expect(offer!.ConsumedTimes).toBe('1');
    expect((await producer.rollback(offer!.ReceiptHandle)).code).toBe(204);
    expect(await popHalf(producer, 1)).toEqual([]);
  });

  it('offers an undecided half message again after NextConsumeTime with a new handle; the old one is spent', async () => {
    const topic = await hb.topic('TRANSACTION');
    const producer = client.getTransProducer('', topic, uniqueName('GID'));
    const { body } = await producer.publishMessage('twice', '', halfProps(3));
    const [first] = await popHalf(producer);
    const [second] = await popHalf(producer);
    expect(second!.MessageId).toBe(body.MessageId);
    expect(second!.ConsumedTimes).toBe('2');
    expect(second!.ReceiptHandle).not.toBe(first!.ReceiptHandle);
    expect(second!.FirstConsumeTime).toBe(first!.FirstConsumeTime);
    expect(Number(second!.NextConsumeTime) - Number(first!.NextConsumeTime)).toBeGreaterThanOrEqual(490);
    const old = await producer.commit(first!.ReceiptHandle);
    expect(old.body![0]!.ErrorCode).toBe('MessageNotExist');
    expect((await producer.commit(second!.ReceiptHandle)).code).toBe(204);
    expect((await client.getConsumer('', topic, uniqueName('GID')).consumeMessage(1, 3)).body[0]!.MessageBody).toBe('twice');
  });

  it('answers bad handles with ReceiptHandleError', async () => {
    const topic = await hb.topic('TRANSACTION');
    const other = await hb.topic('TRANSACTION');
    const producer = client.getTransProducer('', topic, uniqueName('GID'));
    const { body } = await client.getTransProducer('', other, uniqueName('GID')).publishMessage('x', '', halfProps(0));
    for (const handle of ['bogus', 't1.bm9uZQ.0', body.ReceiptHandle!]) {
      const res = await producer.commit(handle);
      expect(res.code).toBe(404);
      expect(res.body).toEqual([{ ErrorCode: 'ReceiptHandleError', ErrorMessage: expect.any(String), ReceiptHandle: handle }]);
    }
  });
});

describe('MQ HTTP transactions: one engine with gRPC', () => {
  afterEach(async () => {
    for (const c of grpcClients.splice(0)) await c.shutdown().catch(() => undefined);
  });

  it('commits a half message published over HTTP with a gRPC EndTransaction', async () => {
    const topic = await hb.topic('TRANSACTION');
    const { body } = await client.getTransProducer('', topic, uniqueName('GID')).publishMessage('via grpc', '', halfProps(4));
    const res = await grpc.unary('EndTransaction', {
      topic: { name: topic },
      message_id: body.MessageId,
      transaction_id: body.MessageId,
      resolution: 'COMMIT',
      source: 'SOURCE_CLIENT',
    });
    expect(res.status.code).toBe('OK');
    expect((await client.getConsumer('', topic, uniqueName('GID')).consumeMessage(1, 3)).body[0]!.MessageId).toBe(body.MessageId);
  });

  it("resolves an HTTP half message through a gRPC producer's check", async () => {
    const topic = await hb.topic('TRANSACTION');
    const asked: string[] = [];
    const producer = new Producer({
      endpoints: hb.tb.endpoint,
      namespace: '',
      topic,
      logger: quietClientLogger,
      checker: {
        async check(m) {
          asked.push(m.messageId);
          return TransactionResolution.COMMIT;
        },
      },
    });
    await producer.startup();
    grpcClients.push(producer);
    const { body } = await client.getTransProducer('', topic, uniqueName('GID')).publishMessage('checked over grpc', '', halfProps(5));
    const [m] = (await client.getConsumer('', topic, uniqueName('GID')).consumeMessage(1, 10)).body;
    expect(m!.MessageId).toBe(body.MessageId);
    expect(asked).toEqual([body.MessageId]);
    expect((await hb.tb.broker.services.transactions.describe(body.MessageId)).decision?.source).toBe('SERVER_CHECK');
  });

  it('offers a half message published over gRPC to consumeHalfMessage and commits it by handle', async () => {
    const topic = await hb.topic('TRANSACTION');
    const sent = await grpc.unary('SendMessage', { messages: [protoMessage(topic, 'from grpc', { type: 'TRANSACTION' })] });
    expect(sent.status.code).toBe('OK');
    const producer = client.getTransProducer('', topic, uniqueName('GID'));
    const offers = await waitFor(
      async () => {
        const got = await popHalf(producer, 2);
        return got.length > 0 ? got : undefined;
      },
      10_000,
      'the gRPC half message to be offered over HTTP',
    );
    expect(offers[0]!.MessageBody).toBe('from grpc');
    expect((await producer.commit(offers[0]!.ReceiptHandle)).code).toBe(204);
    const decision = (await hb.tb.broker.services.transactions.describe(offers[0]!.MessageId)).decision;
    expect(decision).toMatchObject({ state: 'COMMITTED', source: 'HTTP' });
    expect((await client.getConsumer('', topic, uniqueName('GID')).consumeMessage(1, 3)).body[0]!.MessageBody).toBe('from grpc');
  });
});

describe('MQ HTTP transactions: the age policy', () => {
  it('rolls back undecided HTTP half messages after httpTransactionMaxAgeMs, not after transactionCheckMax checks', async () => {
    const aged = await startHttpBroker({ httpTransactionMaxAgeMs: 4000, transactionCheckMax: 1 });
    try {
      const polledTopic = await aged.topic('TRANSACTION');
      const quietTopic = await aged.topic('TRANSACTION');
      const producer = aged.client().getTransProducer('', polledTopic, uniqueName('GID'));
      const polled = (await producer.publishMessage('polled', '', halfProps(0))).body.MessageId;
      const ignored = (await aged.client().getTransProducer('', quietTopic, uniqueName('GID')).publishMessage('ignored', '', halfProps(1))).body.MessageId;
      // Offered twice, past the gRPC budget of one check; then left due and unpolled, where the
      // check scheduler's count-based policy would roll it back within a second.
      const counts: string[] = [];
      for (let i = 0; i < 10 && counts.length < 2; i++) counts.push(...(await popHalf(producer, 1)).map((m) => m.ConsumedTimes));
      expect(counts).toEqual(['1', '2']);
      const { transactions } = aged.tb.broker.services;
      for (const id of [polled, ignored]) {
        const decision = await waitFor(async () => (await transactions.describe(id)).decision, 10_000, `policy for ${id}`);
        expect(decision).toMatchObject({ state: 'ROLLED_BACK', source: 'POLICY' });
        expect(decision.decidedAtMs - decision.receivedAtMs).toBeGreaterThanOrEqual(4000);
      }
      expect(await popHalf(producer, 0)).toEqual([]);
    } finally {
      await aged.tb.close();
    }
  });
});
