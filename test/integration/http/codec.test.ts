// Unit tests of the MQ HTTP gateway's codecs: the strict XML parser and writer (checked with the
// Node SDK's own response parser), the Properties string, half-message receipt handles,
// query parsing and the error mapping.
import { describe, expect, it } from 'vitest';
import { extract, parseXML } from '@aliyunmq/mq-http-sdk/lib/helper.js';
import { BrokerError, Code } from '../../../src/errors.js';
import { messagesResponse, readPublishDocument, readReceiptHandles } from '../../../src/http/documents.js';
import { MqHttpError, toMqError } from '../../../src/http/errors.js';
import { decodeHalfHandle, encodeHalfHandle, halfHandleProblem } from '../../../src/http/handles.js';
import { parseTarget } from '../../../src/http/params.js';
import { formatProperties, parseProperties } from '../../../src/http/properties.js';
import { escapeXml, parseXml } from '../../../src/http/xml.js';
import type { MessageInput } from '../../../src/domain/messages.js';
import type { HalfMessage } from '../../../src/domain/transactions.js';

function mqCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof MqHttpError) return err.mqCode;
    throw err;
  }
  throw new Error('expected an MqHttpError');
}

const message = (over: Partial<MessageInput> = {}): MessageInput => ({
  topic: 'T',
  messageId: 'M1',
  messageType: 'NORMAL',
  body: Buffer.from('b'),
  keys: [],
  userProperties: {},
  bornTimestampMs: 1,
  bornHost: 'h',
  ...over,
});

describe('XML parser', () => {
  it('reads CDATA, entities, character references, prefixes and comments', () => {
    const doc = parseXml(
      '\uFEFF<?xml version="1.0"?><!-- c --><m:Message xmlns:m="x"><MessageBody><![CDATA[a<b>]]>&amp;&#65;&#x42;&quot;</MessageBody><!-- c --><MessageTag a=\'1\'>t</MessageTag><Empty/></m:Message>',
    );
    expect(doc.name).toBe('Message');
    expect(doc.children.map((c) => [c.name, c.text])).toEqual([
      ['MessageBody', 'a<b>&AB"'],
      ['MessageTag', 't'],
      ['Empty', ''],
    ]);
  });

  it('refuses what is not well-formed, DTDs and unknown entities', () => {
    for (const bad of [
      '',
      'text',
      '<a>',
      '<a></b>',
      '<a>x</a><b/>',
      '<!DOCTYPE a><a/>',
      '<a>&e;</a>',
      '<a>& b</a>',
      '<a>x]]>y</a>',
      '<a b=c/>',
      '<a><![CDATA[x</a>',
      `${'<a>'.repeat(20)}${'</a>'.repeat(20)}`,
    ]) {
      expect(
        mqCode(() => parseXml(bad)),
        bad,
      ).toBe('MalformedXML');
    }
  });

  it('writes text the SDK reads back unchanged, control characters replaced', async () => {
    const text = 'x <&> "\' \r\n\t😀 ]]> end';
    const parsed = (await parseXML(`<a>${escapeXml(text)}</a>`)) as { a: string };
    expect(parsed.a).toBe(text);
    expect(escapeXml('a\x00b\x1fc')).toBe('a\uFFFDb\uFFFDc');
  });

  it('writes <Messages> the Node SDK can read: no attributes below the root, optional fields left out', async () => {
    const xml = messagesResponse([
      {
        message: message({ tag: 'T', keys: ['k'], userProperties: { a: '1' } }),
        receiptHandle: 'h',
        publishTimeMs: 1,
        firstConsumeTimeMs: 2,
        nextConsumeTimeMs: 3,
        consumedTimes: 1,
      },
      { message: message({ messageId: 'M2' }), receiptHandle: 'h2', publishTimeMs: 1, firstConsumeTimeMs: 2, nextConsumeTimeMs: 3, consumedTimes: 2 },
    ]);
    const parsed = (await parseXML(xml)) as { Messages: { Message: unknown } };
    const [first, second] = extract(parsed.Messages.Message) as Record<string, string>[];
    expect(first).toEqual({
      MessageId: 'M1',
      ReceiptHandle: 'h',
      MessageBodyMD5: '92EB5FFEE6AE2FEC3AD71C777531578F',
      MessageBody: 'b',
      PublishTime: '1',
      FirstConsumeTime: '2',
      NextConsumeTime: '3',
      ConsumedTimes: '1',
      MessageTag: 'T',
      Properties: 'a:1|KEYS:k',
    });
    expect(Object.keys(second!)).not.toContain('MessageTag');
    expect(Object.keys(second!)).not.toContain('Properties');
  });
});

describe('request documents', () => {
  it('reads <Message> in any element order, requiring MessageBody and refusing unknown elements', () => {
    expect(readPublishDocument(Buffer.from('<Message><Properties>a:1</Properties><MessageBody>x</MessageBody></Message>'))).toEqual({ body: 'x', properties: 'a:1' });
    expect(mqCode(() => readPublishDocument(Buffer.from('<Message><MessageTag>t</MessageTag></Message>')))).toBe('InvalidArgument');
    expect(mqCode(() => readPublishDocument(Buffer.from('<Message><MessageBody>x</MessageBody><Body>y</Body></Message>')))).toBe('InvalidArgument');
    expect(mqCode(() => readPublishDocument(Buffer.from('<Message><MessageBody>x</MessageBody><MessageBody>y</MessageBody></Message>')))).toBe('InvalidArgument');
  });

  it('reads 1..max receipt handles', () => {
    expect(readReceiptHandles(Buffer.from('<ReceiptHandles><ReceiptHandle><![CDATA[a]]></ReceiptHandle><ReceiptHandle> b </ReceiptHandle></ReceiptHandles>'), 16)).toEqual([
      'a',
      'b',
    ]);
    expect(mqCode(() => readReceiptHandles(Buffer.from('<ReceiptHandles/>'), 16))).toBe('MissingReceiptHandle');
    expect(mqCode(() => readReceiptHandles(Buffer.from('<ReceiptHandles><ReceiptHandle></ReceiptHandle></ReceiptHandles>'), 16))).toBe('MissingReceiptHandle');
    expect(mqCode(() => readReceiptHandles(Buffer.from('<ReceiptHandles><ReceiptHandle>a</ReceiptHandle><ReceiptHandle>b</ReceiptHandle></ReceiptHandles>'), 1))).toBe(
      'InvalidArgument',
    );
  });
});

describe('Properties', () => {
  it('splits reserved keys from user properties and drops pairs that do not split in two', () => {
    expect(parseProperties('a:1|KEYS:k1 k2|__STARTDELIVERTIME:1700000000000|__SHARDINGKEY:s|__TransCheckT:10|bad|x:y:z|:v|')).toEqual({
      keys: ['k1', 'k2'],
      startDeliverTimeMs: 1700000000000,
      shardingKey: 's',
      transCheckImmunitySeconds: 10,
      user: { a: '1', __TransCheckT: '10' },
    });
    expect(parseProperties(undefined)).toEqual({ keys: [], user: {} });
    for (const bad of ['__TransCheckT:9', '__TransCheckT:301', '__TransCheckT:ten', '__STARTDELIVERTIME:soon']) {
      expect(
        mqCode(() => parseProperties(bad)),
        bad,
      ).toBe('InvalidArgument');
    }
  });

  it('renders message fields back, leaving out what the encoding cannot carry', () => {
    expect(formatProperties(message({ keys: ['a', 'b'], userProperties: { u: '1', 'bad:key': 'x', v: 'p|q' }, deliveryTimestampMs: 5, messageGroup: 'g' }))).toBe(
      'u:1|KEYS:a b|__STARTDELIVERTIME:5|__SHARDINGKEY:g',
    );
    expect(formatProperties(message())).toBe('');
  });
});

describe('half-message receipt handles', () => {
  const half = (over: Partial<HalfMessage> = {}): HalfMessage => ({
    transactionId: 'tx.1/ü',
    message: message(),
    producerGroup: 'T',
    senderClientId: 'http:1',
    budget: 'age',
    receivedAtMs: 0,
    state: 'PENDING',
    checkCount: 0,
    nextCheckAtMs: 1000,
    ...over,
  });

  it('round-trips and refuses malformed handles', () => {
    const h = { transactionId: 'tx.1/ü', checkNumber: 3 };
    expect(decodeHalfHandle(encodeHalfHandle(h))).toEqual(h);
    for (const bad of ['t1', 't1..1', 't1.abc', 't1.abc.x', 'h1.abc.1', 't1.a+b.1'])
      expect(
        mqCode(() => decodeHalfHandle(bad)),
        bad,
      ).toBe('ReceiptHandleError');
  });

  it('is usable only at its check number and before the next check time', () => {
    expect(halfHandleProblem({ transactionId: 'x', checkNumber: 0 }, half(), 999)).toBeUndefined();
    expect(halfHandleProblem({ transactionId: 'x', checkNumber: 0 }, half(), 1000)).toContain('TransCheckImmunityTime');
    expect(halfHandleProblem({ transactionId: 'x', checkNumber: 1 }, half({ checkCount: 2, nextCheckAtMs: 5000 }), 10)).toContain('NextConsumeTime');
    expect(halfHandleProblem({ transactionId: 'x', checkNumber: 2 }, half({ checkCount: 2, nextCheckAtMs: 5000 }), 10)).toBeUndefined();
    expect(halfHandleProblem({ transactionId: 'x', checkNumber: 0 }, half({ state: 'ABANDONED' }), 10)).toContain('abandoned');
  });
});

describe('request target', () => {
  it('parses the resource and the query by name with form decoding', () => {
    expect(parseTarget('/topics/T-1/messages?numOfMessages=3&consumer=GID_1&tag=Tag+A%7C%7CB&ns=MQ_INST')).toEqual({
      topic: 'MQ_INST%T-1', // the instance id is the namespace
      query: { numOfMessages: '3', consumer: 'GID_1', tag: 'Tag A||B', ns: 'MQ_INST' },
    });
    expect(parseTarget('/topics/T-1/messages?consumer=GID_1')).toEqual({ topic: 'T-1', query: { consumer: 'GID_1' } });
    expect(() => parseTarget('/topics/T-1/messages?ns=bad%25ns')).toThrow('the "ns" query parameter (instance id) is illegal');
    expect(parseTarget('/topics/%25DLQ%25G/messages').topic).toBe('%DLQ%G');
    expect(parseTarget('/topics/a%b/messages').topic).toBe('a%b');
  });

  it('refuses other resources, unknown and repeated parameters', () => {
    expect(mqCode(() => parseTarget('//topics/T/messages'))).toBe('InvalidRequestURL');
    expect(mqCode(() => parseTarget('/topics/T/messages/x'))).toBe('InvalidRequestURL');
    expect(mqCode(() => parseTarget('/topics/T/messages?queue=1'))).toBe('InvalidQueryString');
    expect(mqCode(() => parseTarget('/topics/T/messages?ns=a&ns=b'))).toBe('InvalidQueryString');
  });
});

describe('error mapping', () => {
  it('maps broker codes to MQ codes and statuses, hiding unexpected errors', () => {
    expect(toMqError(new BrokerError(Code.TOPIC_NOT_FOUND, 'x'))).toEqual({ status: 404, code: 'TopicNotExist', message: 'x' });
    expect(toMqError(new BrokerError(Code.INVALID_RECEIPT_HANDLE, 'x')).code).toBe('ReceiptHandleError');
    expect(toMqError(new BrokerError(Code.ILLEGAL_MESSAGE_TAG, 'x'))).toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect(toMqError(new BrokerError(Code.MESSAGE_BODY_TOO_LARGE, 'x')).code).toBe('InvalidArgument');
    expect(toMqError(new BrokerError(Code.UNSUPPORTED, 'x')).code).toBe('InvalidArgument');
    expect(toMqError(new BrokerError(Code.INTERNAL_ERROR, 'x'))).toMatchObject({ status: 500, code: 'InternalError' });
    expect(toMqError(new MqHttpError('SignatureDoesNotMatch', 'x'))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(toMqError(new MqHttpError('TimeExpired', 'x')).status).toBe(408);
    expect(toMqError(new Error('secret detail'))).toEqual({ status: 500, code: 'InternalError', message: 'internal error; the broker log has the details' });
  });
});
