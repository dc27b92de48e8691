// The load generators' reply readers (scripts/bench/lean-replies.ts) against protobufjs: replies
// encoded by protobufjs (OK and error statuses, non-ASCII messages, every field of the entries and
// messages set, fields unknown to the reader, absent statuses) read back the same status code and
// message, transaction ids, message id, receipt handle and body as protobufjs's decode; truncated
// replies throw where protobufjs's decode does.
import { describe, expect, it } from 'vitest';
import { CODE_OK } from '../../../../scripts/bench/lean-codec.js';
import { leanRoot } from '../../../../scripts/bench/lean-grpc.js';
import { checkOk, readReceiveReply, readReplyStatus, readSendReply } from '../../../../scripts/bench/lean-replies.js';

const type = (name: string) => leanRoot().lookupType(`apache.rocketmq.v2.${name}`);
const encode = (name: string, obj: Record<string, unknown>): Buffer => {
  const t = type(name);
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
};
/** protobufjs's reading: numeric enums and codes. */
const decoded = (name: string, bytes: Buffer): Record<string, unknown> =>
  type(name).toObject(type(name).decode(bytes), { enums: Number, longs: String, defaults: true, bytes: Buffer });

const STATUSES = [
  { code: 'OK', message: 'OK' },
  { code: 'TOO_MANY_REQUESTS', message: 'slow down' },
  { code: 'MESSAGE_NOT_FOUND', message: 'no new message — ünïcode' },
  { code: 40402, message: '' },
  { code: 0, message: 'x'.repeat(300) },
];

describe('readSendReply', () => {
  it('reads the status and each entry transaction id as protobufjs does', () => {
    for (const status of STATUSES) {
      for (const n of [0, 1, 32]) {
        const entries = Array.from({ length: n }, (_, i) => ({
          status: i % 5 === 4 ? { code: 'BAD_REQUEST', message: 'bad' } : { code: 'OK', message: 'OK' },
          message_id: `01ABC${i}`,
          transaction_id: i % 3 === 0 ? '' : `TX-${i}-ü`,
          offset: String(2 ** 40 + i),
          recall_handle: `rh-${i}`,
        }));
        const bytes = encode('SendMessageResponse', { status, entries });
        const want = decoded('SendMessageResponse', bytes) as { status: { code: number; message: string }; entries: { transaction_id: string }[] };
        expect(readSendReply(bytes, true)).toEqual({ status: want.status, transactionIds: want.entries.map((e) => e.transaction_id) });
        expect(readSendReply(bytes, false)).toEqual({ status: want.status, transactionIds: [] });
      }
    }
  });

  it('reads a reply without a status as code 0 (not OK), and skips fields it does not know', () => {
    const bytes = Buffer.concat([
      encode('SendMessageResponse', { entries: [{ transaction_id: 'T1' }] }),
      Buffer.from([0x18, 0x96, 0x01, 0x25, 1, 2, 3, 4, 0x29, 1, 2, 3, 4, 5, 6, 7, 8]),
    ]);
    expect(readSendReply(bytes, true)).toEqual({ status: { code: 0, message: '' }, transactionIds: ['T1'] });
  });
});

describe('readReplyStatus', () => {
  it('reads the status of EndTransaction and AckMessage replies as protobufjs does', () => {
    for (const status of STATUSES) {
      for (const [name, obj] of [
        ['EndTransactionResponse', { status }],
        ['AckMessageResponse', { status, entries: [{ message_id: 'm', receipt_handle: 'h', status: { code: 'INVALID_RECEIPT_HANDLE', message: 'x' } }] }],
      ] as const) {
        const bytes = encode(name, obj);
        expect(readReplyStatus(bytes)).toEqual((decoded(name, bytes) as { status: unknown }).status);
      }
    }
    expect(readReplyStatus(Buffer.alloc(0))).toEqual({ code: 0, message: '' });
  });

  it('reads a negative code as protobufjs does (a 10-byte varint)', () => {
    const bytes = encode('EndTransactionResponse', { status: { code: -5, message: 'neg' } });
    expect(readReplyStatus(bytes)).toEqual({ code: -5, message: 'neg' });
  });
});

describe('readReceiveReply', () => {
  it('reads a message with every field set: its id, receipt handle and body as protobufjs does', () => {
    for (const size of [0, 8, 1024, 20_000]) {
      const body = Buffer.alloc(size, 0x62);
      const message = {
        topic: { resource_namespace: 'ns', name: 'bench-topic' },
        user_properties: { a: 'b', ü: 'é' },
        system_properties: {
          tag: 'TagA',
          keys: ['k1', 'k2'],
          message_id: '01ABCDEF',
          body_digest: { type: 'CRC32', checksum: 'abc' },
          body_encoding: 'IDENTITY',
          message_type: 'NORMAL',
          born_timestamp: { seconds: '1764806400', nanos: 5 },
          born_host: 'bench',
          store_timestamp: { seconds: '1764806401', nanos: 6 },
          store_host: 'h',
          delivery_timestamp: { seconds: '1', nanos: 1 },
          receipt_handle: 'handle-' + 'r'.repeat(150),
          queue_id: 3,
          queue_offset: '123456789012',
          invisible_duration: { seconds: '60', nanos: 0 },
          delivery_attempt: 2,
          message_group: 'g',
          trace_context: 't',
          orphaned_transaction_recovery_duration: { seconds: '2', nanos: 0 },
          dead_letter_queue: { topic: 'dlq', message_id: 'x' },
          lite_topic: 'lt',
          priority: 1,
        },
        body,
      };
      const bytes = encode('ReceiveMessageResponse', { message });
      const want = decoded('ReceiveMessageResponse', bytes) as { message: { body: Buffer; system_properties: { message_id: string; receipt_handle: string } } };
      const got = readReceiveReply(bytes);
      expect(got).toEqual({
        kind: 'message',
        messageId: Buffer.from(want.message.system_properties.message_id),
        receiptHandle: Buffer.from(want.message.system_properties.receipt_handle),
        body: want.message.body,
      });
    }
  });

  it('reads status replies and delivery timestamps', () => {
    for (const status of STATUSES) {
      const bytes = encode('ReceiveMessageResponse', { status });
      expect(readReceiveReply(bytes)).toEqual({ kind: 'status', status: (decoded('ReceiveMessageResponse', bytes) as { status: unknown }).status });
    }
    expect(readReceiveReply(encode('ReceiveMessageResponse', { delivery_timestamp: { seconds: '5', nanos: 1 } }))).toEqual({ kind: 'other' });
    expect(readReceiveReply(Buffer.alloc(0))).toEqual({ kind: 'other' });
  });

  it('takes the last oneof member on the wire, as protobufjs does', () => {
    const bytes = Buffer.concat([
      encode('ReceiveMessageResponse', { status: { code: 'OK', message: 'OK' } }),
      encode('ReceiveMessageResponse', { message: { system_properties: { message_id: 'M' }, body: Buffer.from('b') } }),
    ]);
    expect(type('ReceiveMessageResponse').decode(bytes).toJSON().content).toBeUndefined();
    expect(readReceiveReply(bytes)).toEqual({ kind: 'message', messageId: Buffer.from('M'), receiptHandle: Buffer.alloc(0), body: Buffer.from('b') });
  });
});

describe('malformed replies and checkOk', () => {
  it('throws on truncated replies, as protobufjs does', () => {
    const bytes = encode('SendMessageResponse', { status: { code: 'OK', message: 'OK' }, entries: [{ transaction_id: 'TX' }] });
    const throws = (f: () => unknown): boolean => {
      try {
        f();
        return false;
      } catch {
        return true;
      }
    };
    let cuts = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      const part = bytes.subarray(0, cut);
      // A cut at a field boundary is a shorter valid reply; inside a field both refuse it.
      const refused = throws(() => type('SendMessageResponse').decode(part));
      expect(throws(() => readSendReply(part, true))).toBe(refused);
      if (refused) {
        expect(() => readSendReply(part, true)).toThrow(/malformed reply/);
        cuts++;
      }
    }
    expect(cuts).toBeGreaterThan(bytes.length / 2);
    expect(() => readReplyStatus(Buffer.from([0x0b]))).toThrow(/wire type 3/);
    // A status of 2 bytes whose message field claims 3 (inside the reply, past the status).
    const overrun = Buffer.from([0x0a, 0x02, 0x12, 0x03, 0x41, 0x42, 0x43]);
    expect(() => type('EndTransactionResponse').decode(overrun)).toThrow();
    expect(() => readReplyStatus(overrun)).toThrow(/longer than its message/);
  });

  it('lets OK through and fails anything else with the code name and message', () => {
    const name = (code: number): string => leanRoot().lookupEnum('apache.rocketmq.v2.Code').valuesById[code] ?? String(code);
    expect(() => checkOk('SendMessage', { code: CODE_OK, message: 'OK' }, name)).not.toThrow();
    expect(() => checkOk('SendMessage', { code: 40402, message: 'no topic' }, name)).toThrow('SendMessage: TOPIC_NOT_FOUND no topic');
    expect(() => checkOk('AckMessage', { code: 0, message: '' }, name)).toThrow('AckMessage: CODE_UNSPECIFIED ');
  });
});
