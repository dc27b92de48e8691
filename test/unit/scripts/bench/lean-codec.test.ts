// The load generators' request encoders (scripts/bench/lean-codec.ts) against protobufjs: each
// frame is byte for byte what fromObject + encode + the gRPC prefix (lean-grpc.ts `frame`) write
// for the objects the peers driver used to build — one message and batches, both message types,
// with and without the recovery duration, empty and large bodies (lengths past one and two varint
// bytes), born timestamps at the edges of the second, non-ASCII topics, groups and ids.
import { describe, expect, it } from 'vitest';
import { AckEncoder, EndTransactionEncoder, SendEncoder, varintSize } from '../../../../scripts/bench/lean-codec.js';
import { frame, leanRoot, pbDuration, pbResource } from '../../../../scripts/bench/lean-grpc.js';

const type = (name: string) => leanRoot().lookupType(`apache.rocketmq.v2.${name}`);

/** The message object the driver used to build for SendMessage. */
function message(topic: string, id: string, body: Buffer, kind: 'NORMAL' | 'TRANSACTION', now: number, recoveryMs?: number): Record<string, unknown> {
  const sp: Record<string, unknown> = {
    message_id: id,
    message_type: kind,
    body_encoding: 'IDENTITY',
    born_host: 'bench',
    born_timestamp: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
    queue_id: 0,
  };
  if (recoveryMs !== undefined) sp.orphaned_transaction_recovery_duration = pbDuration(recoveryMs);
  return { topic: pbResource(topic), system_properties: sp, body };
}

const ID = '01A1B2C3D4E5F60718' + '0000000000000A2F';
const bodies = [0, 1, 8, 127, 128, 1024, 16_383, 16_384, 300_000].map((n) => Buffer.alloc(n, 0x61 + (n % 26)));
const times = [0, 999, 1000, 1_764_806_400_123, 1_764_806_400_999, 2 ** 41 + 7];

describe('SendEncoder', () => {
  it('writes one NORMAL message as protobufjs does, for every body size and born time', () => {
    const enc = new SendEncoder({ topic: 'bench-topic', type: 'NORMAL', bornHost: 'bench' });
    for (const body of bodies) {
      for (const now of times) {
        const want = frame(type('SendMessageRequest'), { messages: [message('bench-topic', ID, body, 'NORMAL', now)] });
        expect(enc.frame([ID], [body], now).equals(want)).toBe(true);
      }
    }
  });

  it('writes batches of 32 (and none) with distinct ids and bodies as protobufjs does', () => {
    const enc = new SendEncoder({ topic: 'bench-topic', type: 'NORMAL', bornHost: 'bench' });
    for (const n of [0, 2, 32]) {
      const ids = Array.from({ length: n }, (_, i) => `${ID.slice(0, 20)}${i.toString(16).padStart(14, '0')}`);
      const bs = Array.from({ length: n }, (_, i) => Buffer.alloc(1024 + i, i));
      const now = 1_764_806_400_555;
      const want = frame(type('SendMessageRequest'), { messages: ids.map((id, i) => message('bench-topic', id, bs[i]!, 'NORMAL', now)) });
      expect(enc.frame(ids, bs, now).equals(want)).toBe(true);
    }
  });

  it('writes TRANSACTION messages with their recovery duration as protobufjs does', () => {
    for (const recoveryMs of [0, 1, 999, 2000, 2500, 3_600_000]) {
      const enc = new SendEncoder({ topic: 'tx-topic', type: 'TRANSACTION', bornHost: 'bench', recoveryMs });
      const want = frame(type('SendMessageRequest'), { messages: [message('tx-topic', ID, bodies[5]!, 'TRANSACTION', 1_764_806_400_001, recoveryMs)] });
      expect(enc.frame([ID], [bodies[5]!], 1_764_806_400_001).equals(want)).toBe(true);
    }
  });

  it('writes non-ASCII and long topics, ids and born hosts as protobufjs does', () => {
    const topic = 'tópico-ñ-' + 'x'.repeat(200);
    const id = 'id-ü-€-' + 'y'.repeat(150);
    const enc = new SendEncoder({ topic, type: 'NORMAL', bornHost: 'bench' });
    const want = frame(type('SendMessageRequest'), { messages: [message(topic, id, bodies[2]!, 'NORMAL', 12_345)] });
    expect(enc.frame([id], [bodies[2]!], 12_345).equals(want)).toBe(true);
    // protobufjs decodes the frame back to the same fields.
    const back = type('SendMessageRequest').toObject(type('SendMessageRequest').decode(enc.frame([id], [bodies[2]!], 12_345).subarray(5)), { longs: Number, enums: String });
    expect(back).toEqual({
      messages: [
        {
          topic: { resource_namespace: '', name: topic },
          system_properties: {
            message_id: id,
            body_encoding: 'IDENTITY',
            message_type: 'NORMAL',
            born_timestamp: { seconds: 12, nanos: 345_000_000 },
            born_host: 'bench',
            queue_id: 0,
          },
          body: bodies[2],
        },
      ],
    });
  });

  it('sizes varints as protobufjs writes them', () => {
    for (const v of [0, 1, 127, 128, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 28, 2 ** 32, 2 ** 35, 2 ** 53 - 1]) {
      // Timestamp { seconds = v }: its tag byte, then the varint.
      const written = leanRoot().lookupType('google.protobuf.Timestamp').encode({ seconds: v }).finish().length - 1;
      expect(varintSize(v)).toBe(written);
    }
  });
});

describe('EndTransactionEncoder', () => {
  it('writes every resolution and source as protobufjs does', () => {
    const enc = new EndTransactionEncoder('tx-topic');
    for (const resolution of ['COMMIT', 'ROLLBACK'] as const) {
      for (const source of ['SOURCE_CLIENT', 'SOURCE_SERVER_CHECK'] as const) {
        for (const tx of ['', 'TX0001', 'tx-ü-' + 'z'.repeat(300)]) {
          const want = frame(type('EndTransactionRequest'), { topic: pbResource('tx-topic'), message_id: ID, transaction_id: tx, resolution, source });
          expect(enc.frame(ID, tx, resolution, source).equals(want)).toBe(true);
        }
      }
    }
  });
});

describe('AckEncoder', () => {
  it('writes the entries of a batch (none, one, 32, long handles) as protobufjs does', () => {
    const enc = new AckEncoder('bench-topicGroup', 'bench-topic');
    for (const n of [0, 1, 32]) {
      for (const handleLength of [10, 100, 200]) {
        const ids = Array.from({ length: n }, (_, i) => `${ID}${i}`);
        const handles = ids.map((id, i) => `${id}:${'h'.repeat(handleLength)}:${i}é`);
        const want = frame(type('AckMessageRequest'), {
          group: pbResource('bench-topicGroup'),
          topic: pbResource('bench-topic'),
          entries: ids.map((message_id, i) => ({ message_id, receipt_handle: handles[i] })),
        });
        expect(
          enc
            .frame(
              ids.map((id) => Buffer.from(id)),
              handles.map((h) => Buffer.from(h)),
            )
            .equals(want),
        ).toBe(true);
      }
    }
  });
});
