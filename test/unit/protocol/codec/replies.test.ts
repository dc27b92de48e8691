// The fast reply encoders (src/protocol/codec/) against proto-loader's generic serializer: for
// every hot RPC, sampled replies and the broker's own reply shapes (convert.ts's messages, status
// codes as names or numbers, int64s as strings or numbers) encode to the same bytes, so they decode
// to the same message; values of the wrong kind fail alike (same error class and message).
import { describe, expect, it } from 'vitest';
import { FAST_ENCODERS } from '../../../../src/protocol/codec/index.js';
import { checkMessage, fromMs, toProtoMessage } from '../../../../src/protocol/convert.js';
import { OK_STATUS, status } from '../../../../src/protocol/status.js';
import { rng } from '../../../../scripts/fuzz/random.js';
import { fast, generic, outcome, sampled } from './equivalence.js';

const REPLY_TYPES: Record<string, string> = {
  SendMessage: 'SendMessageResponse',
  EndTransaction: 'EndTransactionResponse',
  ReceiveMessage: 'ReceiveMessageResponse',
  AckMessage: 'AckMessageResponse',
  ChangeInvisibleDuration: 'ChangeInvisibleDurationResponse',
  Heartbeat: 'HeartbeatResponse',
  Telemetry: 'TelemetryCommand',
};
const SAMPLES = 300;

function same(rpc: string, reply: unknown): void {
  const mine = outcome(() => Buffer.from(fast(rpc).responseSerialize(reply)));
  expect(mine).toEqual(outcome(() => Buffer.from(generic(rpc).responseSerialize(reply))));
}

function stored(i: number): Parameters<typeof toProtoMessage>[0] {
  return {
    topic: i % 2 ? 'ns%topic-a' : 'topic-a',
    messageId: `01ABC${i}`,
    messageType: i % 3 ? 'NORMAL' : 'FIFO',
    body: Buffer.alloc(i % 4 ? 1024 : 0, i),
    keys: i % 2 ? ['k1', 'k2'] : [],
    userProperties: { a: '1', b: '', c: 'x'.repeat(i) },
    bornTimestampMs: 1_764_000_000_123 + i,
    bornHost: '10.0.0.1',
    tag: i % 5 ? 'TagA' : undefined,
    storeTimestampMs: 1_764_000_001_000 + i,
    offset: i * 1_000_003,
    queueId: i % 8,
    ...(i % 3 === 0 ? { messageGroup: 'g1' } : {}),
    ...(i % 7 === 0 ? { deliveryTimestampMs: -1500, deadLetter: { topic: 'ns%%DLQ%g', messageId: 'm' } } : {}),
  } as Parameters<typeof toProtoMessage>[0];
}

describe('fast reply encoders', () => {
  it('cover the hot RPCs; other methods keep the generic serializer', () => {
    expect(Object.keys(FAST_ENCODERS).sort()).toEqual(Object.keys(REPLY_TYPES).sort());
    expect(fast('QueryRoute').responseSerialize).toBe(generic('QueryRoute').responseSerialize);
    for (const rpc of Object.keys(REPLY_TYPES)) expect(fast(rpc).responseSerialize).not.toBe(generic(rpc).responseSerialize);
  });

  for (const [rpc, type] of Object.entries(REPLY_TYPES)) {
    it(`${rpc}: sampled replies encode to the same bytes`, () => {
      const r = rng(0x5e7d + rpc.length);
      for (let i = 0; i < SAMPLES; i++) same(rpc, sampled(type, r));
    });
  }

  it('ReceiveMessage: the broker stream (status, 1 KiB messages as convert.ts builds them, delivery_timestamp)', () => {
    same('ReceiveMessage', { status: OK_STATUS });
    same('ReceiveMessage', { status: status(40401, 'no new message') });
    same('ReceiveMessage', { delivery_timestamp: fromMs(1_764_000_000_999) });
    for (let i = 0; i < 50; i++) {
      const message = toProtoMessage(stored(i), {
        namespace: i % 2 ? 'ns' : '',
        storeHost: 'h:8081',
        receiptHandle: `rh${i}`,
        deliveryAttempt: i % 4,
        invisibleDurationMs: 30_000,
      });
      same('ReceiveMessage', { message });
    }
  });

  it('SendMessage / AckMessage: entries of 1 and 32, string and number offsets, mixed statuses', () => {
    for (const n of [1, 32]) {
      const entries = Array.from({ length: n }, (_, i) => ({
        status: i % 3 ? OK_STATUS : status(40402, 'topic not found'),
        message_id: `m${i}`,
        transaction_id: i % 2 ? `tx${i}` : '',
        offset: i % 2 ? String(i * 12_345_678_901) : i,
      }));
      same('SendMessage', { status: OK_STATUS, entries });
      same('AckMessage', { status: OK_STATUS, entries: entries.map((e) => ({ message_id: e.message_id, receipt_handle: `rh-${e.message_id}`, status: e.status })) });
    }
  });

  it('Telemetry: status-only, the orphaned-transaction check, and settings (generic path)', () => {
    same('Telemetry', { status: OK_STATUS });
    for (let i = 0; i < 20; i++) {
      const half = { message: { ...stored(i), messageType: 'TRANSACTION' }, transactionId: `tx-${i}`, checkCount: i } as unknown as Parameters<typeof checkMessage>[0];
      same('Telemetry', { recover_orphaned_transaction_command: { message: checkMessage(half, { namespace: '', storeHost: 'h:8081' }), transaction_id: `tx-${i}` } });
    }
    same('Telemetry', {
      status: OK_STATUS,
      settings: { client_type: 'PRODUCER', publishing: { topics: [{ name: 't' }], max_body_size: 4194304, validate_message_type: true } },
    });
  });

  it('coercions and edges: int64 extremes as numbers and strings, codes by name or number, base64 and array bodies, nulls', () => {
    const int64s: unknown[] = [
      0,
      -0,
      1,
      -1,
      2 ** 53 - 1,
      2 ** 53 + 2,
      -(2 ** 60),
      1.5,
      -2.5,
      Number.NaN,
      '0',
      '-0',
      '007',
      '123456789012345',
      '1234567890123456',
      '9223372036854775807',
      '-9223372036854775808',
      '18446744073709551615',
      'abc',
      '',
      ' 5',
      { low: 5, high: 1 },
      true,
    ];
    for (const offset of int64s) {
      same('SendMessage', { status: OK_STATUS, entries: [{ status: OK_STATUS, message_id: 'm', offset }] });
      same('ReceiveMessage', { delivery_timestamp: { seconds: offset, nanos: 1.9 } });
    }
    const codes: unknown[] = ['OK', 'NOPE', 0, 20000, 12345, -7, 3.5, null, undefined, true, '20000'];
    for (const code of codes) same('Heartbeat', { status: { code, message: 7 } });
    const message = toProtoMessage(stored(3), { namespace: '', storeHost: 'h' });
    for (const body of ['aGVsbG8=', '', [1, 2, 3], new Uint8Array([9, 8]), null, undefined, 5]) same('ReceiveMessage', { message: { ...message, body } });
    const props: Record<string, unknown> = { n: 5, b: false, z: null };
    Object.defineProperty(props, '__proto__', { value: 'p', enumerable: true, configurable: true, writable: true });
    same('ReceiveMessage', { message: { ...message, user_properties: props } });
    same('ReceiveMessage', { status: OK_STATUS, message, delivery_timestamp: fromMs(5) });
    same('ChangeInvisibleDuration', { status: OK_STATUS, receipt_handle: 12, extra: 'ignored' });
  });

  it('values of the wrong kind fail alike', () => {
    const message = toProtoMessage(stored(2), { namespace: '', storeHost: 'h' });
    const bad: [string, unknown][] = [
      ['SendMessage', []],
      ['SendMessage', 'x'],
      ['SendMessage', { status: 'OK' }],
      ['SendMessage', { entries: {} }],
      ['SendMessage', { entries: [null] }],
      ['SendMessage', { entries: [{ status: 5 }] }],
      ['AckMessage', { entries: [{ status: 'x' }] }],
      ['ReceiveMessage', { message: 'x' }],
      ['ReceiveMessage', { message: { ...message, topic: 'x' } }],
      ['ReceiveMessage', { message: { ...message, user_properties: 'x' } }],
      ['ReceiveMessage', { message: { ...message, system_properties: { keys: 'k' } } }],
      ['ReceiveMessage', { message: { ...message, system_properties: { born_timestamp: 1 } } }],
      ['ReceiveMessage', { delivery_timestamp: 'now' }],
      ['Telemetry', { status: 'x', settings: {} }],
      ['Telemetry', { recover_orphaned_transaction_command: { message: 3 } }],
      ['Heartbeat', null],
    ];
    for (const [rpc, reply] of bad) {
      same(rpc, reply);
      expect(outcome(() => fast(rpc).responseSerialize(reply))).toHaveProperty('threw');
    }
  });
});
