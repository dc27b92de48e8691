// The MQ HTTP gateway with the unmodified @aliyunmq/mq-http-sdk: publish (tags, keys, properties,
// timed, ordered), long-poll consume, ack, redelivery after NextConsumeTime, ordered consume, and
// messages crossing between HTTP and the gRPC client on one broker.
import sdk from '@aliyunmq/mq-http-sdk';
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietClientLogger, uniqueName } from '../../helpers/broker.js';
import { consumeAll, mqError, props, sleep, startHttpBroker, type HttpBroker } from './helpers.js';

let hb: HttpBroker;
let client: sdk.MQClient;
const grpcClients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  hb = await startHttpBroker();
  client = hb.client();
});
afterAll(async () => {
  for (const c of grpcClients) await c.shutdown().catch(() => undefined);
  await hb.tb.close();
});

describe('MQ HTTP: publish, consume, ack', () => {
  it('round-trips a message: 201 publish, 200 consume with every field, 204 ack, then MessageNotExist', async () => {
    const topic = await hb.topic('NORMAL', 'MQ_INST_123_abc');
    const body = 'héllo <mq> & "friends" \r\nline 2 😀';
    const published = await client.getProducer('MQ_INST_123_abc', topic).publishMessage(body);
    expect(published.code).toBe(201);
    expect(published.body.MessageId).toMatch(/^[0-9A-F]{32}$/);
    expect(published.body.MessageBodyMD5).toMatch(/^[0-9A-F]{32}$/);
    expect(published.body.ReceiptHandle).toBeUndefined();
    expect(published.requestId).toMatch(/^[0-9A-F]{24}$/);

    const consumer = client.getConsumer('MQ_INST_123_abc', topic, uniqueName('GID'));
    const before = Date.now();
    const res = await consumer.consumeMessage(3, 3);
    expect(res.code).toBe(200);
    expect(res.body).toHaveLength(1);
    const m = res.body[0]!;
    expect(m.MessageId).toBe(published.body.MessageId);
    expect(m.MessageBody).toBe(body);
    expect(m.MessageBodyMD5).toBe(published.body.MessageBodyMD5);
    expect(m.ConsumedTimes).toBe('1');
    expect(Number(m.PublishTime)).toBeLessThanOrEqual(Number(m.FirstConsumeTime));
    expect(Number(m.FirstConsumeTime)).toBeGreaterThanOrEqual(before - 5);
    // NextConsumeTime = delivery + httpInvisibleDurationMs (1500 in these tests).
    expect(Number(m.NextConsumeTime) - Number(m.FirstConsumeTime)).toBeGreaterThanOrEqual(1490);
    expect(m.MessageTag).toBeUndefined();

    const acked = await consumer.ackMessage([m.ReceiptHandle]);
    expect(acked.code).toBe(204);
    expect(acked.body).toBeUndefined();
    const empty = await mqError(consumer.consumeMessage(3));
    expect(empty.Code).toBe('MessageNotExist');
  });

  it('carries tag, message key and user properties, and filters by tag expression', async () => {
    const topic = await hb.topic('NORMAL');
    const producer = client.getProducer('', topic);
    await producer.publishMessage(
      'a',
      'TagA',
      props({ color: 'red', n: 1 }, (p) => p.messageKey('Key-1')),
    );
    await producer.publishMessage('b', 'TagB');
    await producer.publishMessage('c');

    const onlyA = await consumeAll(client.getConsumer('', topic, uniqueName('GID'), 'TagA'), 1);
    expect(onlyA.map((m) => m.MessageBody)).toEqual(['a']);
    expect(onlyA[0]!.MessageTag).toBe('TagA');
    expect(onlyA[0]!.MessageKey).toBe('Key-1');
    expect(onlyA[0]!.Properties).toEqual({ color: 'red', n: '1' });

    const aOrB = await consumeAll(client.getConsumer('', topic, uniqueName('GID'), 'TagA||TagB'), 2);
    expect(aOrB.map((m) => m.MessageBody).sort()).toEqual(['a', 'b']);
    const all = await consumeAll(client.getConsumer('', topic, uniqueName('GID')), 3);
    expect(all.map((m) => m.MessageBody).sort()).toEqual(['a', 'b', 'c']);
  });

  it('delivers a timed message (StartDeliverTime) no earlier than its time', async () => {
    const topic = await hb.topic('DELAY');
    const deliverAt = Date.now() + 1500;
    const res = await client.getProducer('', topic).publishMessage(
      'later',
      'TagT',
      props({}, (p) => p.startDeliverTime(deliverAt)),
    );
    expect(res.code).toBe(201);
    const consumer = client.getConsumer('', topic, uniqueName('GID'));
    expect((await mqError(consumer.consumeMessage(1, 1))).Code).toBe('MessageNotExist');
    const got = await consumer.consumeMessage(1, 5);
    expect(Date.now()).toBeGreaterThanOrEqual(deliverAt);
    expect(got.body[0]!.MessageBody).toBe('later');
    expect(got.body[0]!.StartDeliverTime).toBe(deliverAt);
  });

  it('answers a long poll as soon as a message is published', async () => {
    const topic = await hb.topic('NORMAL');
    const consumer = client.getConsumer('', topic, uniqueName('GID'));
    const started = Date.now();
    const polling = consumer.consumeMessage(1, 20);
    await sleep(300);
    await client.getProducer('', topic).publishMessage('wake up');
    const res = await polling;
    expect(res.body[0]!.MessageBody).toBe('wake up');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('holds an empty long poll for waitseconds, then answers MessageNotExist', async () => {
    const topic = await hb.topic('NORMAL');
    const started = Date.now();
    const err = await mqError(client.getConsumer('', topic, uniqueName('GID')).consumeMessage(1, 2));
    expect(err.Code).toBe('MessageNotExist');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('redelivers an unacked message after NextConsumeTime with a new handle; the old handle is spent', async () => {
    const topic = await hb.topic('NORMAL');
    await client.getProducer('', topic).publishMessage('again');
    const consumer = client.getConsumer('', topic, uniqueName('GID'));
    const first = (await consumer.consumeMessage(1, 3)).body[0]!;
    const second = (await consumer.consumeMessage(1, 5)).body[0]!;
    expect(second.MessageId).toBe(first.MessageId);
    expect(second.ConsumedTimes).toBe('2');
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
    expect(second.FirstConsumeTime).toBe(first.FirstConsumeTime);
    expect(Number(second.NextConsumeTime)).toBeGreaterThan(Number(first.NextConsumeTime));

    const stale = await consumer.ackMessage([first.ReceiptHandle]);
    expect(stale.code).toBe(404);
    expect(stale.body).toEqual([{ ErrorCode: 'MessageNotExist', ErrorMessage: expect.any(String), ReceiptHandle: first.ReceiptHandle }]);
    expect((await consumer.ackMessage([second.ReceiptHandle])).code).toBe(204);
  });

  it('acks a batch partially: good handles are applied, bad ones listed', async () => {
    const topic = await hb.topic('NORMAL');
    const producer = client.getProducer('', topic);
    for (const b of ['1', '2']) await producer.publishMessage(b);
    const consumer = client.getConsumer('', topic, uniqueName('GID'));
    const got = await consumeAll(consumer, 2, { ack: false });
    const res = await consumer.ackMessage([got[0]!.ReceiptHandle, 'bogus-handle', got[1]!.ReceiptHandle]);
    expect(res.code).toBe(404);
    expect(res.body).toEqual([{ ErrorCode: 'ReceiptHandleError', ErrorMessage: expect.any(String), ReceiptHandle: 'bogus-handle' }]);
    expect((await consumer.ackMessage([got[0]!.ReceiptHandle])).body![0]!.ErrorCode).toBe('MessageNotExist');
  });

  it('consumes ordered messages per sharding key, one batch per key until it is acked', async () => {
    const topic = await hb.topic('FIFO');
    const producer = client.getProducer('', topic);
    for (const [key, n] of [
      ['k1', 1],
      ['k2', 1],
      ['k1', 2],
      ['k1', 3],
      ['k2', 2],
    ] as const) {
      await producer.publishMessage(
        `${key}-${n}`,
        '',
        props({}, (p) => p.shardingKey(key)),
      );
    }
    const consumer = client.getConsumer('', topic, uniqueName('GID'));
    const seen: string[] = [];
    for (let round = 0; round < 6 && seen.length < 5; round++) {
      const res = await consumer.consumeMessageOrderly(16, 2);
      for (const m of res.body) {
        expect(m.ShardingKey).toBe(m.MessageBody.slice(0, 2));
        seen.push(m.MessageBody);
      }
      expect((await consumer.ackMessage(res.body.map((m) => m.ReceiptHandle))).code).toBe(204);
    }
    expect(seen.filter((b) => b.startsWith('k1'))).toEqual(['k1-1', 'k1-2', 'k1-3']);
    expect(seen.filter((b) => b.startsWith('k2'))).toEqual(['k2-1', 'k2-2']);
  });

  it('refuses consumeMessageOrderly on a topic that is not FIFO', async () => {
    const topic = await hb.topic('NORMAL');
    expect((await mqError(client.getConsumer('', topic, uniqueName('GID')).consumeMessageOrderly(1, 1))).Code).toBe('InvalidArgument');
  });
});

describe('MQ HTTP and gRPC on one broker', () => {
  it('delivers a message published over HTTP to the gRPC SimpleConsumer, and the reverse', async () => {
    const topic = await hb.topic('NORMAL');
    await client.getProducer('', topic).publishMessage(
      'from http',
      'TagH',
      props({ p: 'v' }, (p) => p.messageKey('KH')),
    );
    const grpcConsumer = new SimpleConsumer({
      endpoints: hb.tb.endpoint,
      namespace: '',
      consumerGroup: uniqueName('G'),
      subscriptions: new Map([[topic, '*']]),
      awaitDuration: 1000,
      logger: quietClientLogger,
    });
    await grpcConsumer.startup();
    grpcClients.push(grpcConsumer);
    const [view] = await grpcConsumer.receive(1, 10_000);
    expect(view!.body.toString()).toBe('from http');
    expect(view!.tag).toBe('TagH');
    expect(view!.keys).toEqual(['KH']);
    expect(view!.properties.get('p')).toBe('v');
    await grpcConsumer.ack(view!);

    const producer = new Producer({ endpoints: hb.tb.endpoint, namespace: '', logger: quietClientLogger });
    await producer.startup();
    grpcClients.push(producer);
    await producer.send({ topic, tag: 'TagG', keys: ['KG'], body: Buffer.from('from grpc'), properties: new Map([['q', 'w']]) });
    const [m] = await consumeAll(client.getConsumer('', topic, uniqueName('GID')), 1);
    // A new group starts at the beginning of the log: both messages are there.
    expect(m!.MessageBody).toBe('from http');
    const fromGrpc = (await consumeAll(client.getConsumer('', topic, uniqueName('GID'), 'TagG'), 1))[0]!;
    expect(fromGrpc.MessageBody).toBe('from grpc');
    expect(fromGrpc.MessageKey).toBe('KG');
    expect(fromGrpc.Properties).toEqual({ q: 'w' });
  });
});
