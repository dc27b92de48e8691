// The fast request decoders (src/protocol/codec/) against proto-loader's generic deserializer:
// for every hot RPC, many sampled requests decode to the very same object (keys and their order,
// string enums, string int64s, defaults, oneof discriminators, Buffer bodies), and mutated or
// random bytes are accepted or rejected alike (same error class and message).
import { describe, expect, it } from 'vitest';
import { FAST_DECODERS } from '../../../../src/protocol/codec/index.js';
import { mutate, mutateBytes } from '../../../../scripts/fuzz/protobuf-mutate.js';
import { rng } from '../../../../scripts/fuzz/random.js';
import { fast, generic, outcome, sampled, shape } from './equivalence.js';

const RPCS = ['SendMessage', 'EndTransaction', 'ReceiveMessage', 'AckMessage', 'ChangeInvisibleDuration', 'Heartbeat'];
const SAMPLES = 300;

function same(rpc: string, bytes: Buffer): void {
  expect(outcome(() => fast(rpc).requestDeserialize(bytes))).toEqual(outcome(() => generic(rpc).requestDeserialize(bytes)));
}

function realisticMessage(i: number, type: 'NORMAL' | 'TRANSACTION'): Record<string, unknown> {
  return {
    topic: { resource_namespace: i % 2 ? 'ns' : '', name: 'topic-a' },
    user_properties: { a: '1', b: '', [`k${i}`]: 'v'.repeat(i), __proto__x: 'y' },
    system_properties: {
      tag: i % 3 ? 'TagA' : '',
      keys: i % 2 ? ['key-1', 'key-2'] : [],
      message_id: `01ABCDEF${i}`,
      body_encoding: 'IDENTITY',
      message_type: type,
      born_timestamp: { seconds: String(1_764_000_000 + i), nanos: i * 1000 },
      born_host: '10.0.0.1',
      ...(type === 'TRANSACTION' ? { orphaned_transaction_recovery_duration: { seconds: '5', nanos: 0 } } : {}),
      ...(i % 4 === 0 ? { delivery_timestamp: { seconds: '-1', nanos: -1 }, message_group: 'g' } : {}),
    },
    body: Buffer.alloc(i % 5 === 0 ? 0 : 1024, i),
  };
}

describe('fast request decoders', () => {
  it('cover the hot RPCs and nothing else', () => {
    expect(Object.keys(FAST_DECODERS).sort()).toEqual([...RPCS].sort());
    expect(fast('QueryRoute').requestDeserialize).toBe(generic('QueryRoute').requestDeserialize);
    expect(fast('Telemetry').requestDeserialize).toBe(generic('Telemetry').requestDeserialize);
    for (const rpc of RPCS) {
      expect(fast(rpc).requestDeserialize).not.toBe(generic(rpc).requestDeserialize);
      // The client-side halves (grpc-js clients in tests) stay proto-loader's.
      expect(fast(rpc).requestSerialize).toBe(generic(rpc).requestSerialize);
      expect(fast(rpc).responseDeserialize).toBe(generic(rpc).responseDeserialize);
    }
  });

  for (const rpc of RPCS) {
    it(`${rpc}: sampled requests decode to the same objects`, () => {
      const r = rng(0xc0dec + rpc.length);
      for (let i = 0; i < SAMPLES; i++) {
        const bytes = generic(rpc).requestSerialize(sampled(`${rpc}Request`, r));
        const mine = fast(rpc).requestDeserialize(bytes);
        expect(shape(mine)).toEqual(shape(generic(rpc).requestDeserialize(bytes)));
      }
    });

    it(`${rpc}: mutated and random bytes are accepted or rejected alike`, () => {
      const r = rng(0xbad + rpc.length);
      for (let i = 0; i < SAMPLES; i++) {
        const valid = generic(rpc).requestSerialize(sampled(`${rpc}Request`, r));
        same(rpc, mutate(valid, r));
        same(rpc, mutateBytes(valid, r));
        same(rpc, r.bytes(r.int(64)));
      }
    });
  }

  it('SendMessage: batches of 1 and 32 NORMAL and TRANSACTION messages with properties and keys', () => {
    for (const n of [1, 32]) {
      for (const type of ['NORMAL', 'TRANSACTION'] as const) {
        const bytes = generic('SendMessage').requestSerialize({ messages: Array.from({ length: n }, (_, i) => realisticMessage(i, type)) });
        const mine = fast('SendMessage').requestDeserialize(bytes) as { messages: { body: Buffer; system_properties: Record<string, unknown> }[] };
        expect(shape(mine)).toEqual(shape(generic('SendMessage').requestDeserialize(bytes)));
        expect(mine.messages).toHaveLength(n);
        expect(mine.messages[0]!.system_properties.message_type).toBe(type);
        expect(Buffer.isBuffer(mine.messages[0]!.body)).toBe(true);
      }
    }
  });

  it('int64 and enum edges: extreme and negative seconds and offsets, unknown enum numbers, __proto__ map keys', () => {
    const seconds = ['0', '1', '-1', '9007199254740991', '9007199254740992', '9223372036854775807', '-9223372036854775808', '4294967296', '-4294967297'];
    for (const s of seconds) {
      const m = realisticMessage(1, 'NORMAL');
      const sp = m.system_properties as Record<string, unknown>;
      sp.born_timestamp = { seconds: s, nanos: 2147483647 };
      sp.queue_offset = s;
      sp.message_type = 77;
      sp.body_encoding = -3;
      sp.body_digest = { type: 9, checksum: 'x' };
      const props: Record<string, string> = {};
      Object.defineProperty(props, '__proto__', { value: 'p', enumerable: true, configurable: true, writable: true });
      props['1'] = 'one';
      m.user_properties = props;
      const bytes = generic('SendMessage').requestSerialize({ messages: [m] });
      expect(shape(fast('SendMessage').requestDeserialize(bytes))).toEqual(shape(generic('SendMessage').requestDeserialize(bytes)));
      const change = generic('ChangeInvisibleDuration').requestSerialize({ invisible_duration: { seconds: s, nanos: -5 }, suspend: false, lite_topic: '' });
      expect(shape(fast('ChangeInvisibleDuration').requestDeserialize(change))).toEqual(shape(generic('ChangeInvisibleDuration').requestDeserialize(change)));
    }
  });

  it('ReceiveMessage: packed and unpacked accept_message_types, every enum value', () => {
    const packed = generic('ReceiveMessage').requestSerialize({
      message_queue: { topic: { name: 't' }, id: 3, permission: 'READ_WRITE', accept_message_types: ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'LITE', 'PRIORITY', 42] },
      filter_expression: { type: 'SQL', expression: 'a > 1' },
      invisible_duration: { seconds: '30', nanos: 0 },
      long_polling_timeout: { seconds: '20', nanos: 0 },
      attempt_id: '',
    });
    // The same field unpacked (wire type 0, field 5 of MessageQueue) appended to the queue.
    const unpacked = Buffer.from([0x12, 0x06, 0x28, 0x01, 0x28, 0x04, 0x28, 0x63]);
    for (const bytes of [packed, unpacked, Buffer.concat([packed, unpacked])]) {
      expect(shape(fast('ReceiveMessage').requestDeserialize(bytes))).toEqual(shape(generic('ReceiveMessage').requestDeserialize(bytes)));
    }
  });
});
