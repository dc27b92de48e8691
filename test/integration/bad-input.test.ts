// Every bad input gets the matching RocketMQ code in the body with a message saying what to fix,
// loses nothing, and the broker keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { protoMessage, rawClient, type Json, type RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
let raw: RawClient;
let topic: string;
const group = { name: 'bad-input-group' };

beforeAll(async () => {
  tb = await startTestBroker({ maxMessageSizeBytes: 1024 });
  raw = rawClient(tb.endpoint);
  topic = uniqueName('Bad');
  await tb.broker.services.topics.create(topic, 'NORMAL');
});
afterAll(async () => {
  raw.close();
  await tb.close();
});

async function send(mutate: (m: Json & { system_properties: Json }) => void): Promise<{ code: string; message: string }> {
  const m = protoMessage(topic, 'body') as Json & { system_properties: Json };
  mutate(m);
  const res = await raw.unary('SendMessage', { messages: [m] });
  const entry = (res.entries as { status: { code: string; message: string } }[])[0]!;
  expect(entry.status).toEqual(res.status);
  return res.status;
}

function receive(extra: Json = {}, deadlineMs = 5000) {
  return raw.stream(
    'ReceiveMessage',
    {
      group,
      message_queue: { topic: { name: topic }, id: 0 },
      filter_expression: { type: 'TAG', expression: '*' },
      batch_size: 1,
      invisible_duration: { seconds: '30', nanos: 0 },
      auto_renew: false,
      long_polling_timeout: { seconds: '1', nanos: 0 },
      ...extra,
    },
    deadlineMs,
  );
}

describe('SendMessage bad input', () => {
  it.each([
    ['unknown topic', (m: Json & { system_properties: Json }) => (m.topic = { name: 'NoSuchTopic' }), 'TOPIC_NOT_FOUND', 'halfmoon topic create'],
    ['illegal topic', (m: Json & { system_properties: Json }) => (m.topic = { name: 'bad topic!' }), 'ILLEGAL_TOPIC', 'bad topic!'],
    ['illegal tag', (m: Json & { system_properties: Json }) => (m.system_properties.tag = 'a||b'), 'ILLEGAL_MESSAGE_TAG', 'a||b'],
    ['blank key', (m: Json & { system_properties: Json }) => (m.system_properties.keys = ['  ']), 'ILLEGAL_MESSAGE_KEY', 'key'],
    ['empty body', (m: Json & { system_properties: Json }) => (m.body = Buffer.alloc(0)), 'MESSAGE_BODY_EMPTY', 'empty body'],
    ['body over the limit', (m: Json & { system_properties: Json }) => (m.body = Buffer.alloc(2048, 1)), 'MESSAGE_BODY_TOO_LARGE', '1024 bytes'],
    ['reserved property key', (m: Json & { system_properties: Json }) => (m.user_properties = { UNIQ_KEY: 'x' }), 'ILLEGAL_MESSAGE_PROPERTY_KEY', 'UNIQ_KEY'],
    ['empty message id', (m: Json & { system_properties: Json }) => (m.system_properties.message_id = ''), 'ILLEGAL_MESSAGE_ID', 'message_id'],
    [
      'wrong type for the topic',
      (m: Json & { system_properties: Json }) => ((m.system_properties.message_type = 'FIFO'), (m.system_properties.message_group = 'g')),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
      'accepts NORMAL',
    ],
  ])('%s', async (_name, mutate, code, hint) => {
    const status = await send(mutate);
    expect(status.code).toBe(code);
    expect(status.message).toContain(hint);
  });

  it('a plain message to a FIFO topic: says to give it a message group', async () => {
    const t = uniqueName('BadFifo');
    await tb.broker.services.topics.create(t, 'FIFO');
    const res = await raw.unary('SendMessage', { messages: [protoMessage(t, 'x')] });
    expect(res.status.code).toBe('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    expect(res.status.message).toBe(`topic ${t} is a FIFO topic, but this message is NORMAL: give it a message group (FIFO topics deliver each message group in order)`);
  });

  it('rejects a DELAY message more than maxDelayMs ahead', async () => {
    const t = uniqueName('BadDelay');
    await tb.broker.services.topics.create(t, 'DELAY');
    const m = protoMessage(t, 'x', { type: 'DELAY' }) as Json & { system_properties: Json };
    m.system_properties.delivery_timestamp = { seconds: String(Math.floor(Date.now() / 1000) + 3 * 86400), nanos: 0 };
    const res = await raw.unary('SendMessage', { messages: [m] });
    expect(res.status.code).toBe('ILLEGAL_DELIVERY_TIME');
  });

  it('stored nothing for the rejected messages and still serves', async () => {
    expect(await tb.broker.store.read(topic, 0, 0, 10)).toHaveLength(0);
    expect((await send(() => undefined)).code).toBe('OK');
    expect(await tb.broker.store.read(topic, 0, 0, 10)).toHaveLength(1);
  });
});

describe('consumption bad input', () => {
  it('rejects an invisible duration out of range', async () => {
    const [first, ...rest] = await receive({ invisible_duration: { seconds: '1', nanos: 0 } });
    expect(first!.status).toMatchObject({ code: 'ILLEGAL_INVISIBLE_TIME' });
    expect((first!.status as { message: string }).message).toContain('10000');
    expect(rest.at(-1)).toHaveProperty('delivery_timestamp');
  });

  it('rejects a negative long-polling time and a SQL filter', async () => {
    expect((await receive({ long_polling_timeout: { seconds: '-1', nanos: 0 } }))[0]!.status).toMatchObject({ code: 'ILLEGAL_POLLING_TIME' });
    expect((await receive({ filter_expression: { type: 'SQL', expression: 'a > 1' } }))[0]!.status).toMatchObject({ code: 'ILLEGAL_FILTER_EXPRESSION' });
  });

  it('answers MESSAGE_NOT_FOUND on an empty poll after holding it, ending the stream', async () => {
    const t = uniqueName('Empty');
    await tb.broker.services.topics.create(t, 'NORMAL');
    const started = Date.now();
    const res = await receive({ message_queue: { topic: { name: t }, id: 0 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(res[0]!.status).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    expect(res).toHaveLength(2);
  });

  it('bounds a long poll by the call deadline', async () => {
    const t = uniqueName('Deadline');
    await tb.broker.services.topics.create(t, 'NORMAL');
    const started = Date.now();
    const res = await receive({ message_queue: { topic: { name: t }, id: 0 }, long_polling_timeout: { seconds: '20', nanos: 0 } }, 2000);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res[0]!.status).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
  });

  it('rejects malformed and stale receipt handles with INVALID_RECEIPT_HANDLE', async () => {
    const malformed = await raw.unary('AckMessage', { group, topic: { name: topic }, entries: [{ message_id: 'x', receipt_handle: 'garbage' }] });
    expect(malformed.status.code).toBe('INVALID_RECEIPT_HANDLE');
    const [, msg] = await receive();
    const handle = ((msg!.message as Json).system_properties as Json).receipt_handle as string;
    const ok = await raw.unary('AckMessage', { group, topic: { name: topic }, entries: [{ message_id: 'x', receipt_handle: handle }] });
    expect(ok.status.code).toBe('OK');
    const stale = await raw.unary('AckMessage', { group, topic: { name: topic }, entries: [{ message_id: 'x', receipt_handle: handle }] });
    expect(stale.status.code).toBe('INVALID_RECEIPT_HANDLE');
    expect(stale.status.message).toContain('stale');
    const change = await raw.unary('ChangeInvisibleDuration', {
      group,
      topic: { name: topic },
      receipt_handle: handle,
      invisible_duration: { seconds: '10', nanos: 0 },
      message_id: 'x',
    });
    expect(change.status.code).toBe('INVALID_RECEIPT_HANDLE');
  });

  it('answers unimplemented RPCs in the body, not with a gRPC error', async () => {
    const res = await raw.unary('QueryOffset', { message_queue: { topic: { name: topic }, id: 0 } });
    expect(res.status.code).toBe('NOT_IMPLEMENTED');
  });
});
