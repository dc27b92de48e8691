// Namespaces across both protocols: a gRPC client's namespace (official client and SDK) and an
// MQ HTTP instance id scope topics and groups as `<namespace>%<name>`, so clients of one namespace
// meet each other (including transaction checks) and never a client of another.
import sdk from '@aliyunmq/mq-http-sdk';
import { Producer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientConfiguration, ClientServiceProvider } from '../../src/client/index.js';
import { quietClientLogger, startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';

const NS = 'shop';
let tb: TestBroker;
const clients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  tb = await startTestBroker({ httpEnabled: true, httpTransCheckSecondMs: 100 });
});
afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await tb.close();
});

async function topicIn(type: 'NORMAL' | 'TRANSACTION'): Promise<string> {
  const name = uniqueName(`Ns${type}`);
  await tb.broker.services.topics.create(`${NS}%${name}`, type);
  return name;
}

async function consumer(namespace: string, topic: string, group: string): Promise<SimpleConsumer> {
  const c = new SimpleConsumer({
    endpoints: tb.endpoint,
    namespace,
    consumerGroup: group,
    subscriptions: new Map([[topic, '*']]),
    awaitDuration: 1000,
    logger: quietClientLogger,
  });
  await c.startup();
  clients.push(c);
  return c;
}

async function receiveUntil(c: SimpleConsumer, count: number): Promise<MessageView[]> {
  const got: MessageView[] = [];
  await waitFor(
    async () => {
      for (const m of await c.receive(16, 10_000)) {
        got.push(m);
        await c.ack(m);
      }
      return got.length >= count ? true : undefined;
    },
    15_000,
    `${count} messages`,
  );
  return got;
}

describe('namespaces', () => {
  it('scopes topics and groups of gRPC clients: same namespace meets, no namespace does not', async () => {
    const topic = await topicIn('NORMAL');
    const p = new Producer({ endpoints: tb.endpoint, namespace: NS, topic, logger: quietClientLogger });
    await p.startup();
    clients.push(p);
    const receipt = await p.send({ topic, tag: 'a', body: Buffer.from('scoped') });

    const group = uniqueName('NsG');
    const c = await consumer(NS, topic, group);
    const [m] = await receiveUntil(c, 1);
    expect(m!.messageId).toBe(receipt.messageId);
    expect(m!.topic).toBe(topic); // the client's own name, not the scoped one
    expect(await tb.broker.store.getGroup(`${NS}%${group}`)).toBeDefined();
    expect((await tb.broker.store.read(`${NS}%${topic}`, 0, 0, 10)).map((s) => s.body.toString())).toEqual(['scoped']);

    // Without the namespace the topic does not exist.
    const outsider = new Producer({ endpoints: tb.endpoint, namespace: '', logger: quietClientLogger });
    await outsider.startup();
    clients.push(outsider);
    await expect(outsider.send({ topic, body: Buffer.from('x') })).rejects.toThrow(/TOPIC_NOT_FOUND|does not exist/);
  });

  it('checks a namespaced transaction with a producer of that namespace, showing the client its own topic name', async () => {
    const topic = await topicIn('TRANSACTION');
    const asked: string[] = [];
    const p = new Producer({
      endpoints: tb.endpoint,
      namespace: NS,
      topic,
      logger: quietClientLogger,
      checker: {
        async check(view) {
          asked.push(view.topic);
          return TransactionResolution.COMMIT;
        },
      },
    });
    await p.startup();
    clients.push(p);
    const tx = p.beginTransaction();
    const receipt = await p.send({ topic, body: Buffer.from('checked') }, tx); // left open: the broker asks
    await waitFor(() => tb.broker.store.getDecision(receipt.transactionId), 15_000, 'decision');
    expect(asked).toEqual([topic]);
    const [m] = await receiveUntil(await consumer(NS, topic, uniqueName('NsTxG')), 1);
    expect(m!.body.toString()).toBe('checked');
  });

  it('lets an MQ HTTP instance id and a gRPC namespace of the same name share topics and groups', async () => {
    const topic = await topicIn('NORMAL');
    const http = new sdk.MQClient(`http://127.0.0.1:${tb.broker.httpPort}`, 'ak', 'sk');
    const published = await http.getProducer(NS, topic).publishMessage('over http', 'a');
    expect(published.code).toBe(201);

    // The SDK's namespace setting reaches the same topic.
    const provider = ClientServiceProvider.loadService();
    const config = ClientConfiguration.newBuilder().setEndpoints(tb.endpoint).setNamespace(NS).setRequestTimeout(3000).build();
    const producer = await provider.newProducerBuilder().setClientConfiguration(config).setTopics(topic).build();
    await producer.send(provider.newMessageBuilder().setTopic(topic).setTag('a').setBody(Buffer.from('over grpc')).build());
    await producer.close();

    const group = uniqueName('GID_ns');
    const viaHttp: string[] = [];
    const httpConsumer = http.getConsumer(NS, topic, group);
    await waitFor(
      async () => {
        try {
          const res = await httpConsumer.consumeMessage(16, 1);
          viaHttp.push(...res.body.map((b) => b.MessageBody));
          await httpConsumer.ackMessage(res.body.map((b) => b.ReceiptHandle));
        } catch (err) {
          if ((err as sdk.MQError).Code !== 'MessageNotExist') throw err;
        }
        return viaHttp.length >= 2 ? true : undefined;
      },
      15_000,
      'both messages over HTTP',
    );
    expect(viaHttp.sort()).toEqual(['over grpc', 'over http']);
    // The same group seen from gRPC in the namespace has nothing left.
    const c = await consumer(NS, topic, group);
    expect(await c.receive(16, 10_000)).toEqual([]);
    // Another instance id does not see the topic.
    const other = await http
      .getProducer('elsewhere', topic)
      .publishMessage('lost?')
      .then(
        () => 'published',
        (err: sdk.MQError) => err.Code,
      );
    expect(other).toBe('TopicNotExist');
  });
});
