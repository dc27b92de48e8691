// Protocol ⇄ broker conversions: Timestamp/Duration ⇄ milliseconds, incoming messages (type
// inference, tag, group, delivery time, recovery duration) and outgoing messages (MD5 digest,
// system properties, the user properties the official clients read).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BrokerError, Code } from '../../../src/errors.js';
import { deadLetterTopic } from '../../../src/domain/names.js';
import { qualify, unqualify } from '../../../src/domain/namespace.js';
import { checkMessage, clientResource, fromMs, fromProtoMessage, md5Hex, resourceName, toMs, toProtoMessage, type OutgoingOptions } from '../../../src/protocol/convert.js';
import type { Message, SystemProperties } from '../../../src/protocol/types.js';
import type { MessageInput, StoredMessage } from '../../../src/domain/messages.js';
import type { HalfMessage } from '../../../src/domain/transactions.js';

const NOW = 1_700_000_000_123;

function protoMessage(sp: Partial<SystemProperties> = {}, extra: Partial<Message> = {}): Message {
  return {
    topic: { name: 'Orders', resource_namespace: '' },
    user_properties: {},
    system_properties: {
      keys: [],
      message_id: '01ABCDEF',
      body_encoding: 'IDENTITY',
      message_type: 'NORMAL',
      born_host: '10.0.0.1',
      queue_id: 0,
      ...sp,
    },
    body: Buffer.from('hello'),
    ...extra,
  };
}

function brokerErrorOf(fn: () => unknown): BrokerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BrokerError);
    return err as BrokerError;
  }
  throw new Error('did not throw');
}

const OPTS: OutgoingOptions = { namespace: 'ns', storeHost: '127.0.0.1:8081' };

function input(overrides: Partial<MessageInput & StoredMessage> = {}): MessageInput & Partial<StoredMessage> {
  return {
    topic: 'Orders',
    messageId: 'MSG1',
    messageType: 'NORMAL',
    body: Buffer.from('payload'),
    keys: ['k1', 'k2'],
    userProperties: { color: 'red' },
    bornTimestampMs: 1_700_000_000_500,
    bornHost: '10.0.0.2',
    ...overrides,
  };
}

describe('toMs / fromMs', () => {
  it('toMs of nothing is undefined', () => {
    expect(toMs(undefined)).toBeUndefined();
    expect(toMs(null)).toBeUndefined();
  });

  it('toMs combines seconds (string or number) and nanos, truncating sub-millisecond nanos', () => {
    expect(toMs({ seconds: '1700000000', nanos: 123_000_000 })).toBe(1_700_000_000_123);
    expect(toMs({ seconds: 5, nanos: 0 })).toBe(5000);
    expect(toMs({ seconds: '0', nanos: 999_999_999 })).toBe(999);
    expect(toMs({ seconds: '2', nanos: 1_500_000 })).toBe(2001);
    expect(toMs({ seconds: '0', nanos: 0 })).toBe(0);
  });

  it('toMs tolerates missing nanos (proto default)', () => {
    expect(toMs({ seconds: '3' } as unknown as { seconds: string; nanos: number })).toBe(3000);
  });

  it('fromMs splits into string seconds and whole-millisecond nanos', () => {
    expect(fromMs(1_700_000_000_123)).toEqual({ seconds: '1700000000', nanos: 123_000_000 });
    expect(fromMs(0)).toEqual({ seconds: '0', nanos: 0 });
    expect(fromMs(999)).toEqual({ seconds: '0', nanos: 999_000_000 });
    expect(fromMs(1000)).toEqual({ seconds: '1', nanos: 0 });
  });

  it('fromMs keeps nanos non-negative for times before the epoch', () => {
    expect(fromMs(-1)).toEqual({ seconds: '-1', nanos: 999_000_000 });
    expect(fromMs(-1000)).toEqual({ seconds: '-1', nanos: 0 });
  });

  it.each([0, 1, 999, 1000, 1001, 60_000, 1_700_000_000_123, -1, -1500, Number.MAX_SAFE_INTEGER - 7])('toMs(fromMs(%d)) round-trips', (ms) => {
    const t = fromMs(ms);
    expect(t.nanos).toBeGreaterThanOrEqual(0);
    expect(t.nanos).toBeLessThan(1e9);
    expect(t.nanos % 1_000_000).toBe(0);
    expect(toMs(t)).toBe(ms);
  });

  it('fromMs(toMs(t)) round-trips millisecond-aligned timestamps', () => {
    const t = { seconds: '1700000000', nanos: 456_000_000 };
    expect(fromMs(toMs(t)!)).toEqual(t);
  });
});

describe('resourceName', () => {
  it('returns the trimmed name', () => {
    expect(resourceName({ name: ' Orders ' }, 'topic', Code.ILLEGAL_TOPIC, '')).toBe('Orders');
  });

  it('scopes the name by the call namespace, else by the resource namespace', () => {
    expect(resourceName({ name: 'Orders' }, 'topic', Code.ILLEGAL_TOPIC, 'shop')).toBe('shop%Orders');
    expect(resourceName({ name: 'Orders', resource_namespace: 'shop' }, 'topic', Code.ILLEGAL_TOPIC, '')).toBe('shop%Orders');
    expect(resourceName({ name: 'Orders', resource_namespace: 'other' }, 'topic', Code.ILLEGAL_TOPIC, 'shop')).toBe('shop%Orders');
    expect(brokerErrorOf(() => resourceName({ name: 'Orders' }, 'topic', Code.ILLEGAL_TOPIC, 'bad%ns')).message).toContain('namespace "bad%ns" is illegal');
  });

  it('throws the given code naming the missing resource', () => {
    const e = brokerErrorOf(() => resourceName(null, 'group', Code.ILLEGAL_CONSUMER_GROUP, ''));
    expect(e.code).toBe(Code.ILLEGAL_CONSUMER_GROUP);
    expect(e.message).toBe('group is missing: set group.name');
    expect(brokerErrorOf(() => resourceName({ name: '   ' }, 'topic', Code.ILLEGAL_TOPIC, '')).code).toBe(Code.ILLEGAL_TOPIC);
  });
});

describe('namespaces', () => {
  it('qualify and unqualify are inverse, with system prefixes kept in front', () => {
    const cases: [string, string][] = [
      ['Orders', 'shop%Orders'],
      ['%DLQ%billing', '%DLQ%shop%billing'],
      ['%RETRY%billing', '%RETRY%shop%billing'],
    ];
    for (const [plain, scoped] of cases) {
      expect(qualify('shop', plain)).toBe(scoped);
      expect(qualify('shop', scoped)).toBe(scoped); // already scoped: kept
      expect(unqualify('shop', scoped)).toBe(plain);
      expect(qualify('', plain)).toBe(plain);
      expect(unqualify('', scoped)).toBe(scoped);
    }
    expect(unqualify('shop', 'other%Orders')).toBe('other%Orders');
    expect(deadLetterTopic(qualify('shop', 'billing'))).toBe(qualify('shop', deadLetterTopic('billing')));
  });

  it('outgoing messages name their topic as the client knows it', () => {
    const m = toProtoMessage(
      {
        topic: 'shop%Orders',
        messageId: 'M1',
        messageType: 'NORMAL',
        body: Buffer.from('x'),
        keys: [],
        userProperties: {},
        bornTimestampMs: NOW,
        bornHost: 'h',
        queueId: 0,
        offset: 0,
        storeTimestampMs: NOW,
      },
      { namespace: 'shop', storeHost: 'b' },
    );
    expect(m.topic).toEqual({ name: 'Orders', resource_namespace: 'shop' });
    expect(clientResource('shop%Orders', '')).toEqual({ name: 'shop%Orders', resource_namespace: '' });
  });
});

describe('fromProtoMessage', () => {
  it('converts a plain NORMAL message', () => {
    const m = protoMessage({ keys: ['a', 'b'], born_timestamp: { seconds: '1700000000', nanos: 5_000_000 } }, { user_properties: { x: '1' } });
    const { input: msg, transactionRecoveryMs } = fromProtoMessage(m, NOW, '');
    expect(msg).toEqual({
      topic: 'Orders',
      messageId: '01ABCDEF',
      messageType: 'NORMAL',
      body: Buffer.from('hello'),
      keys: ['a', 'b'],
      userProperties: { x: '1' },
      bornTimestampMs: 1_700_000_000_005,
      bornHost: '10.0.0.1',
    });
    expect(transactionRecoveryMs).toBeUndefined();
    expect(Buffer.isBuffer(msg.body)).toBe(true);
  });

  it('copies user properties rather than sharing the request object', () => {
    const props = { x: '1' };
    const { input: msg } = fromProtoMessage(protoMessage({}, { user_properties: props }), NOW, '');
    msg.userProperties.y = '2';
    expect(props).toEqual({ x: '1' });
  });

  it('defaults born time to now and missing fields to empty', () => {
    const m = protoMessage({ born_timestamp: null });
    (m.system_properties as unknown as Record<string, unknown>).keys = undefined;
    (m.system_properties as unknown as Record<string, unknown>).message_id = undefined;
    (m.system_properties as unknown as Record<string, unknown>).born_host = undefined;
    (m as unknown as Record<string, unknown>).user_properties = undefined;
    (m as unknown as Record<string, unknown>).body = undefined;
    const { input: msg } = fromProtoMessage(m, NOW, '');
    expect(msg.bornTimestampMs).toBe(NOW);
    expect(msg.keys).toEqual([]);
    expect(msg.messageId).toBe('');
    expect(msg.bornHost).toBe('');
    expect(msg.userProperties).toEqual({});
    expect(msg.body.length).toBe(0);
  });

  it('keeps tag, message group and delivery time when set', () => {
    const { input: msg } = fromProtoMessage(
      protoMessage({
        message_type: 'FIFO',
        tag: 'TagA',
        message_group: 'order-42',
        delivery_timestamp: { seconds: '1700000100', nanos: 0 },
      }),
      NOW,
      '',
    );
    expect(msg.tag).toBe('TagA');
    expect(msg.messageGroup).toBe('order-42');
    expect(msg.deliveryTimestampMs).toBe(1_700_000_100_000);
    expect(msg.messageType).toBe('FIFO');
  });

  it('omits tag, group and delivery time when absent', () => {
    const { input: msg } = fromProtoMessage(protoMessage({ tag: null, message_group: null, delivery_timestamp: null }), NOW, '');
    expect('tag' in msg).toBe(false);
    expect('messageGroup' in msg).toBe(false);
    expect('deliveryTimestampMs' in msg).toBe(false);
  });

  it('returns the orphaned transaction recovery duration', () => {
    const r = fromProtoMessage(protoMessage({ message_type: 'TRANSACTION', orphaned_transaction_recovery_duration: { seconds: '30', nanos: 250_000_000 } }), NOW, '');
    expect(r.input.messageType).toBe('TRANSACTION');
    expect(r.transactionRecoveryMs).toBe(30_250);
  });

  it.each(['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const)('keeps a declared %s type', (type) => {
    expect(fromProtoMessage(protoMessage({ message_type: type }), NOW, '').input.messageType).toBe(type);
  });

  describe('infers the type when MESSAGE_TYPE_UNSPECIFIED', () => {
    it('message group → FIFO', () => {
      const m = protoMessage({ message_type: 'MESSAGE_TYPE_UNSPECIFIED', message_group: 'g' });
      expect(fromProtoMessage(m, NOW, '').input.messageType).toBe('FIFO');
    });

    it('delivery timestamp → DELAY', () => {
      const m = protoMessage({ message_type: 'MESSAGE_TYPE_UNSPECIFIED', delivery_timestamp: { seconds: '1', nanos: 0 } });
      expect(fromProtoMessage(m, NOW, '').input.messageType).toBe('DELAY');
    });

    it('group wins over delivery timestamp', () => {
      const m = protoMessage({
        message_type: 'MESSAGE_TYPE_UNSPECIFIED',
        message_group: 'g',
        delivery_timestamp: { seconds: '1', nanos: 0 },
      });
      expect(fromProtoMessage(m, NOW, '').input.messageType).toBe('FIFO');
    });

    it('neither → NORMAL (also for an empty type)', () => {
      expect(fromProtoMessage(protoMessage({ message_type: 'MESSAGE_TYPE_UNSPECIFIED' }), NOW, '').input.messageType).toBe('NORMAL');
      expect(fromProtoMessage(protoMessage({ message_type: '' }), NOW, '').input.messageType).toBe('NORMAL');
    });
  });

  it('rejects an unsupported declared type', () => {
    const e = brokerErrorOf(() => fromProtoMessage(protoMessage({ message_type: 'LITE' }), NOW, ''));
    expect(e.code).toBe(Code.UNSUPPORTED);
    expect(e.message).toContain('LITE');
  });

  it('rejects a message without system properties', () => {
    const m = protoMessage();
    (m as unknown as Record<string, unknown>).system_properties = null;
    expect(brokerErrorOf(() => fromProtoMessage(m, NOW, '')).code).toBe(Code.MESSAGE_CORRUPTED);
  });

  it('rejects a message without a topic name with ILLEGAL_TOPIC', () => {
    const e = brokerErrorOf(() => fromProtoMessage(protoMessage({}, { topic: { name: '' } }), NOW, ''));
    expect(e.code).toBe(Code.ILLEGAL_TOPIC);
    expect(e.message).toContain('message topic');
  });
});

describe('md5Hex', () => {
  it('is the uppercase hex MD5 of the body', () => {
    const body = Buffer.from('hello');
    expect(md5Hex(body)).toBe(createHash('md5').update(body).digest('hex').toUpperCase());
    expect(md5Hex(body)).toBe('5D41402ABC4B2A76B9719D911017C592');
    expect(md5Hex(Buffer.alloc(0))).toBe('D41D8CD98F00B204E9800998ECF8427E');
  });
});

describe('toProtoMessage', () => {
  it('fills the system properties clients need', () => {
    const body = Buffer.from([0, 1, 2, 250, 255]);
    const m = toProtoMessage(input({ body }), OPTS);
    expect(m.topic).toEqual({ name: 'Orders', resource_namespace: 'ns' });
    expect(m.body).toBe(body);
    const sp = m.system_properties;
    expect(sp.body_digest).toEqual({ type: 'MD5', checksum: createHash('md5').update(body).digest('hex').toUpperCase() });
    expect(sp.body_digest!.checksum).toMatch(/^[0-9A-F]{32}$/);
    expect(sp.body_encoding).toBe('IDENTITY');
    expect(sp.message_id).toBe('MSG1');
    expect(sp.message_type).toBe('NORMAL');
    expect(sp.keys).toEqual(['k1', 'k2']);
    expect(sp.born_timestamp).toEqual({ seconds: '1700000000', nanos: 500_000_000 });
    expect(sp.born_host).toBe('10.0.0.2');
    expect(sp.store_host).toBe('127.0.0.1:8081');
    expect(sp.queue_id).toBe(0);
    expect(m.user_properties).toEqual({ color: 'red' });
  });

  it('leaves unset optional fields out', () => {
    const sp = toProtoMessage(input(), OPTS).system_properties;
    for (const field of [
      'tag',
      'store_timestamp',
      'queue_offset',
      'delivery_timestamp',
      'message_group',
      'receipt_handle',
      'delivery_attempt',
      'invisible_duration',
      'dead_letter_queue',
    ]) {
      expect(field in sp, field).toBe(false);
    }
  });

  it('maps stored message fields', () => {
    const sp = toProtoMessage(
      input({ tag: 'TagA', queueId: 0, offset: 41, storeTimestampMs: 1_700_000_001_000, deliveryTimestampMs: 1_700_000_002_250 }),
      OPTS,
    ).system_properties;
    expect(sp.tag).toBe('TagA');
    expect(sp.queue_offset).toBe('41');
    expect(sp.store_timestamp).toEqual({ seconds: '1700000001', nanos: 0 });
    expect(sp.delivery_timestamp).toEqual({ seconds: '1700000002', nanos: 250_000_000 });
  });

  it('keeps an empty tag and offset 0', () => {
    const sp = toProtoMessage(input({ tag: '', offset: 0 }), OPTS).system_properties;
    expect(sp.tag).toBe('');
    expect(sp.queue_offset).toBe('0');
  });

  it('exposes the message group as message_group and __SHARDINGKEY', () => {
    const m = toProtoMessage(input({ messageType: 'FIFO', messageGroup: 'order-42' }), OPTS);
    expect(m.system_properties.message_group).toBe('order-42');
    expect(m.user_properties.__SHARDINGKEY).toBe('order-42');
    expect(m.user_properties.color).toBe('red');
  });

  it('exposes the transaction id as __transactionId__', () => {
    const m = toProtoMessage(input({ messageType: 'TRANSACTION', transactionId: 'TX1' }), OPTS);
    expect(m.user_properties.__transactionId__).toBe('TX1');
    expect(toProtoMessage(input(), OPTS).user_properties).not.toHaveProperty('__transactionId__');
    expect(toProtoMessage(input(), OPTS).user_properties).not.toHaveProperty('__SHARDINGKEY');
  });

  it('carries delivery details: receipt handle, attempt, invisible duration', () => {
    const sp = toProtoMessage(input({ offset: 3 }), {
      ...OPTS,
      receiptHandle: 'h1.T3JkZXJz.0.3.0123456789ab',
      deliveryAttempt: 2,
      invisibleDurationMs: 30_000,
    }).system_properties;
    expect(sp.receipt_handle).toBe('h1.T3JkZXJz.0.3.0123456789ab');
    expect(sp.delivery_attempt).toBe(2);
    expect(sp.invisible_duration).toEqual({ seconds: '30', nanos: 0 });
  });

  it('maps the dead-letter origin to dead_letter_queue', () => {
    const sp = toProtoMessage(input({ topic: '%DLQ%billing', deadLetter: { topic: 'Orders', messageId: 'ORIG', group: 'billing' } }), OPTS).system_properties;
    expect(sp.dead_letter_queue).toEqual({ topic: 'Orders', message_id: 'ORIG' });
  });

  it('adds extra properties without touching the stored record', () => {
    const msg = input();
    const m = toProtoMessage({ ...msg, messageGroup: 'g' }, { ...OPTS, extraProperties: { EXTRA: 'yes' } });
    expect(m.user_properties).toEqual({ color: 'red', EXTRA: 'yes', __SHARDINGKEY: 'g' });
    expect(msg.userProperties).toEqual({ color: 'red' });
  });
});

describe('checkMessage', () => {
  const half: HalfMessage = {
    transactionId: 'TX9',
    message: input({ messageType: 'TRANSACTION', messageId: 'TX9', userProperties: { a: 'b' } }),
    producerGroup: 'Orders',
    senderClientId: 'client-1',
    receivedAtMs: NOW,
    state: 'PENDING',
    budget: 'checks',
    checkCount: 3,
    nextCheckAtMs: NOW + 1000,
  };

  it('is the half message with TRANSACTION_CHECK_TIMES and the transaction id', () => {
    const m = checkMessage(half, OPTS);
    expect(m.user_properties).toEqual({ a: 'b', TRANSACTION_CHECK_TIMES: '3', __transactionId__: 'TX9' });
    expect(m.system_properties.message_type).toBe('TRANSACTION');
    expect(m.system_properties.message_id).toBe('TX9');
    expect(m.topic).toEqual({ name: 'Orders', resource_namespace: 'ns' });
    expect(m.system_properties.body_digest!.checksum).toBe(md5Hex(half.message.body));
  });

  it('does not modify the half message', () => {
    checkMessage(half, { ...OPTS, receiptHandle: 'x' });
    expect(half.message.userProperties).toEqual({ a: 'b' });
    expect('transactionId' in half.message).toBe(false);
  });
});
