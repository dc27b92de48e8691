// What the MQ HTTP gateway answers to bad input, each checked the way the SDKs read it: the SDK's
// thrown Code (or per-handle ErrorCode), and for raw requests the status, the four-child <Error>
// document and the lower-case x-mq-request-id header. Plus signatures when keys are configured,
// keep-alive, and shutdown ending long polls.
import sdk from '@aliyunmq/mq-http-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../../src/http/signature.js';
import { uniqueName } from '../../helpers/broker.js';
import { errorDocument, mqError, props, raw, startHttpBroker, type HttpBroker } from './helpers.js';

let hb: HttpBroker;
let client: sdk.MQClient;

beforeAll(async () => {
  hb = await startHttpBroker();
  client = hb.client();
});
afterAll(async () => {
  await hb.tb.close();
});

const halfProps = (seconds = 10): sdk.MessageProperties => props({}, (p) => p.transCheckImmunityTime(seconds));

describe('MQ HTTP errors through the SDK', () => {
  it('TopicNotExist for every operation on an unknown topic', async () => {
    const topic = uniqueName('Missing');
    const trans = client.getTransProducer('', topic, 'GID_x');
    const consumer = client.getConsumer('', topic, 'GID_x');
    const calls = [
      () => client.getProducer('', topic).publishMessage('x'),
      () => consumer.consumeMessage(1),
      () => trans.consumeHalfMessage(1),
      () => consumer.ackMessage(['h']),
      () => trans.commit('h'),
    ];
    for (const call of calls) {
      const err = await mqError(call());
      expect(err.Code).toBe('TopicNotExist');
      expect(err.message).toContain('failed with 404');
      expect(err.RequestId).toMatch(/^[0-9A-F]{24}$/);
    }
  });

  it('InvalidArgument when the message does not fit the topic type', async () => {
    const normal = await hb.topic('NORMAL');
    const transactional = await hb.topic('TRANSACTION');
    const cases: [string, sdk.MessageProperties | undefined][] = [
      [normal, halfProps()],
      [normal, props({}, (p) => p.shardingKey('k'))],
      [normal, props({}, (p) => p.startDeliverTime(Date.now() + 1000))],
      [transactional, undefined],
      [
        transactional,
        props({}, (p) => {
          p.transCheckImmunityTime(10);
          p.startDeliverTime(Date.now());
        }),
      ],
    ];
    for (const [topic, p] of cases) {
      const err = await mqError(client.getProducer('', topic).publishMessage('x', '', p));
      expect(err.Code).toBe('InvalidArgument');
    }
    const err = await mqError(client.getProducer('', normal).publishMessage('x', '', halfProps()));
    expect(err.message).toContain('TransCheckImmunityTime');
  });

  it('InvalidArgument for TransCheckImmunityTime outside 10–300 s and out-of-range poll parameters', async () => {
    const topic = await hb.topic('TRANSACTION');
    for (const seconds of [9, 301]) {
      expect((await mqError(client.getProducer('', topic).publishMessage('x', '', halfProps(seconds)))).Code).toBe('InvalidArgument');
    }
    const consumer = client.getConsumer('', topic, 'GID_x');
    const calls = [
      () => consumer.consumeMessage(0),
      () => consumer.consumeMessage(17),
      () => consumer.consumeMessage(1, 31),
      () => client.getTransProducer('', topic, 'GID_x').consumeHalfMessage(17),
    ];
    for (const call of calls) {
      expect((await mqError(call())).Code).toBe('InvalidArgument');
    }
  });

  it('InvalidArgument for consumeHalfMessage on a topic that is not transactional', async () => {
    const topic = await hb.topic('NORMAL');
    expect((await mqError(client.getTransProducer('', topic, 'GID_x').consumeHalfMessage(1))).Code).toBe('InvalidArgument');
  });

  it('ReceiptHandleError per handle for handles of the wrong kind or topic', async () => {
    const topic = await hb.topic('TRANSACTION');
    const other = await hb.topic('NORMAL');
    const trans = client.getTransProducer('', topic, 'GID_x');
    const half = (await trans.publishMessage('x', '', halfProps())).body.ReceiptHandle!;
    await client.getProducer('', other).publishMessage('y');
    const otherConsumer = client.getConsumer('', other, uniqueName('GID'));
    const delivered = (await otherConsumer.consumeMessage(1, 3)).body[0]!.ReceiptHandle;

    const ack = await client.getConsumer('', topic, 'GID_x').ackMessage([half, delivered, 'h1.garbage']);
    expect(ack.code).toBe(404);
    expect(ack.body!.map((e) => [e.ReceiptHandle, e.ErrorCode])).toEqual([
      [half, 'ReceiptHandleError'],
      [delivered, 'ReceiptHandleError'],
      ['h1.garbage', 'ReceiptHandleError'],
    ]);
    const commit = await trans.commit(delivered);
    expect(commit.body![0]!.ErrorCode).toBe('ReceiptHandleError');
    expect((await trans.rollback(half)).code).toBe(204);
  });
});

describe('MQ HTTP errors on the wire', () => {
  const xml = (root: string, inner: string): string => `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="http://mq.aliyuncs.com/doc/v1/">${inner}</${root}>`;

  it('answers every error with the four-child <Error> document, text/xml and a lower-case x-mq-request-id', async () => {
    const res = await raw(hb.endpoint, 'GET', '/queues/q1/messages');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('text/xml;charset=utf-8');
    expect(res.headers.get('x-mq-version')).toBe('2015-06-06');
    const doc = errorDocument(res.text);
    expect(doc.Code).toBe('InvalidRequestURL');
    expect(doc.HostId).toBe(hb.endpoint);
    expect(doc.RequestId).toBe(res.headers.get('x-mq-request-id'));
  });

  it('maps malformed requests to their codes', async () => {
    const topic = await hb.topic('NORMAL');
    const path = `/topics/${topic}/messages`;
    const cases: [string, string, string | undefined, number, string][] = [
      ['POST', path, '<Message><MessageBody>unclosed</Message>', 400, 'MalformedXML'],
      ['POST', path, '<!DOCTYPE x [<!ENTITY e "boom">]><Message><MessageBody>&e;</MessageBody></Message>', 400, 'MalformedXML'],
      ['POST', path, xml('Message', '<MessageTag>t</MessageTag>'), 400, 'InvalidArgument'],
      ['POST', path, xml('Messages', ''), 400, 'InvalidArgument'],
      ['POST', path, xml('Message', '<MessageBody></MessageBody>'), 400, 'InvalidArgument'],
      ['POST', `${path}?trans=pop`, xml('Message', '<MessageBody>x</MessageBody>'), 400, 'InvalidQueryString'],
      ['GET', `${path}?consumer=GID_x&numOfMessages=1&bogus=1`, undefined, 400, 'InvalidQueryString'],
      ['GET', `${path}?numOfMessages=1`, undefined, 400, 'InvalidArgument'],
      ['GET', `${path}?consumer=GID_x&numOfMessages=1&trans=sideways`, undefined, 400, 'InvalidQueryString'],
      ['DELETE', `${path}?consumer=GID_x`, xml('ReceiptHandles', ''), 400, 'MissingReceiptHandle'],
      ['DELETE', `${path}?consumer=GID_x`, xml('ReceiptHandles', '<ReceiptHandle>a</ReceiptHandle>'.repeat(17)), 400, 'InvalidArgument'],
      ['DELETE', `${path}?consumer=GID_x&trans=commit`, xml('ReceiptHandles', '<ReceiptHandle>a</ReceiptHandle><ReceiptHandle>b</ReceiptHandle>'), 400, 'InvalidArgument'],
      ['PUT', path, xml('Message', '<MessageBody>x</MessageBody>'), 400, 'InvalidRequestURL'],
    ];
    for (const [method, target, body, status, code] of cases) {
      const res = await raw(hb.endpoint, method, target, body === undefined ? {} : { body, headers: { 'content-type': 'text/xml;charset=utf-8' } });
      expect({ method, target, status: res.status, code: errorDocument(res.text).Code }).toEqual({ method, target, status, code });
    }
  });

  it('parses requests in the other SDKs’ shapes: escaped text, trailing "|", Java namespace, form-encoded tag', async () => {
    const topic = await hb.topic('NORMAL');
    const body = `<?xml version="1.0" encoding="utf-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1"><Properties>a:1|KEYS:k|</Properties><MessageTag>Tag A</MessageTag><MessageBody>x &lt;&amp;&gt; y</MessageBody></Message>`;
    const published = await raw(hb.endpoint, 'POST', `/topics/${topic}/messages`, { body });
    expect(published.status).toBe(201);
    const got = await raw(hb.endpoint, 'GET', `/topics/${topic}/messages?numOfMessages=1&consumer=${uniqueName('GID')}&tag=Tag+A&waitseconds=2`);
    expect(got.status).toBe(200);
    expect(got.text).toContain('<MessageBody>x &lt;&amp;&gt; y</MessageBody>');
    expect(got.text).toContain('<MessageTag>Tag A</MessageTag>');
    expect(got.text).toMatch(/<Properties>(a:1\|KEYS:k|KEYS:k\|a:1)<\/Properties>/);
  });

  it('keeps idle connections open longer than the SDK long poll (keep-alive ≥ 35 s)', async () => {
    const res = await raw(hb.endpoint, 'GET', '/');
    expect(Number(/timeout=(\d+)/.exec(res.headers.get('keep-alive') ?? '')?.[1])).toBeGreaterThanOrEqual(35);
  });
});

describe('MQ HTTP signatures with configured keys', () => {
  let signed: HttpBroker;
  beforeAll(async () => {
    signed = await startHttpBroker({ accessKey: 'ak', secretKey: 'sk' });
  });
  afterAll(async () => {
    await signed.tb.close();
  });

  it('accepts the SDK signing with the right key pair', async () => {
    const topic = await signed.topic('TRANSACTION', 'MQ_INST_1');
    const producer = signed.client('ak', 'sk').getTransProducer('MQ_INST_1', topic, 'GID_s');
    const { body } = await producer.publishMessage('signed', '', halfProps());
    expect((await producer.commit(body.ReceiptHandle!)).code).toBe(204);
    const consumer = signed.client('ak', 'sk').getConsumer('MQ_INST_1', topic, 'GID_s', 'a||b');
    expect((await mqError(consumer.consumeMessage(1))).Code).toBe('MessageNotExist');
  });

  it('refuses a wrong secret, an unknown key id, a missing or malformed Authorization, and a stale Date', async () => {
    const topic = await signed.topic('NORMAL');
    const wrongSecret = await mqError(signed.client('ak', 'not-sk').getProducer('', topic).publishMessage('x'));
    expect(wrongSecret.Code).toBe('SignatureDoesNotMatch');
    expect(wrongSecret.message).toContain('failed with 403');
    expect((await mqError(signed.client('other', 'sk').getConsumer('', topic, 'GID_s').consumeMessage(1))).Code).toBe('InvalidAccessKeyId');

    const target = `/topics/${topic}/messages?consumer=GID_s&numOfMessages=1`;
    const noAuth = await raw(signed.endpoint, 'GET', target, { headers: { date: new Date().toUTCString() } });
    expect([noAuth.status, errorDocument(noAuth.text).Code]).toEqual([400, 'MissingAuthorizationHeader']);
    const garbled = await raw(signed.endpoint, 'GET', target, { headers: { date: new Date().toUTCString(), authorization: 'Basic abc' } });
    expect([garbled.status, errorDocument(garbled.text).Code]).toEqual([400, 'InvalidAuthorizationHeader']);

    const date = new Date(Date.now() - 20 * 60_000).toUTCString();
    const signature = sign('sk', { method: 'GET', contentMd5: '', contentType: '', date, mqHeaders: { 'x-mq-version': '2015-06-06' }, resource: target });
    const stale = await raw(signed.endpoint, 'GET', target, { headers: { date, 'x-mq-version': '2015-06-06', authorization: `MQ ak:${signature}` } });
    expect([stale.status, errorDocument(stale.text).Code]).toEqual([408, 'TimeExpired']);
  });
});

describe('MQ HTTP gateway shutdown', () => {
  it('answers a pending long poll with MessageNotExist when the broker closes', async () => {
    const closing = await startHttpBroker();
    const topic = await closing.topic('NORMAL');
    const poll = mqError(closing.client().getConsumer('', topic, 'GID_c').consumeMessage(1, 30));
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await closing.tb.close();
    expect((await poll).Code).toBe('MessageNotExist');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
